namespace Kubegate.Configuration.Yaml;

/// <summary>One <c>key: value</c> pair of a <see cref="ConfigMapping"/>; <paramref name="Line"/> is the key's line.</summary>
internal readonly record struct ConfigMappingEntry(string Key, int Line, ConfigNode Value);
