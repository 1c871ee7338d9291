using System.Collections.Immutable;

namespace Kubegate.Configuration.Yaml;

/// <summary>A YAML sequence / JSON array.</summary>
internal sealed class ConfigSequence : ConfigNode
{
    public ConfigSequence(int line, ImmutableArray<ConfigNode> items)
        : base(line) => Items = items;

    public ImmutableArray<ConfigNode> Items { get; }

    public override string Describe() => "a list";
}
