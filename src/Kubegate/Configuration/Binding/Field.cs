using Kubegate.Configuration.Yaml;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// One field looked up in a message: its proto name, the key as written (snake_case or lowerCamelCase), the value
/// node and the path/line to report problems at. <see cref="Node"/> is null when the field is absent.
/// </summary>
internal readonly record struct Field(string Name, string Key, ConfigNode? Node, string Path, int Line)
{
    /// <summary>Present with a non-null value. A JSON/YAML null means "unset" in proto3 JSON.</summary>
    public bool HasValue => Node is not null and not ConfigScalar { IsNull: true };

    /// <summary>Written but null (e.g. <c>tcp_health_check:</c> with nothing after it).</summary>
    public bool IsExplicitNull => Node is ConfigScalar { IsNull: true };
}
