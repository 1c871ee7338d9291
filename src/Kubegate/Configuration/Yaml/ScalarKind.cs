namespace Kubegate.Configuration.Yaml;

/// <summary>
/// The JSON type a scalar has after Envoy's YAML-to-JSON conversion (<c>yaml_utility.cc</c>, <c>parseYamlNode</c>):
/// quoted and block scalars are strings; plain scalars are null, booleans (yaml-cpp's words: true/yes/on/y …),
/// integers that fit in int32, and everything else (floats, large integers, words) a string.
/// </summary>
internal enum ScalarKind
{
    Null,
    String,
    Number,
    Boolean,
}
