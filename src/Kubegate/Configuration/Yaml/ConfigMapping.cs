using System.Collections.Immutable;

namespace Kubegate.Configuration.Yaml;

/// <summary>A YAML mapping / JSON object. Entries keep file order and duplicates (the binder reports those).</summary>
internal sealed class ConfigMapping : ConfigNode
{
    public ConfigMapping(int line, ImmutableArray<ConfigMappingEntry> entries)
        : base(line) => Entries = entries;

    public ImmutableArray<ConfigMappingEntry> Entries { get; }

    public override string Describe() => Entries.IsEmpty ? "an empty object" : "an object";
}
