using Kubegate.Configuration.Binding;

namespace Kubegate.Fuzzing;

/// <summary>Every fuzz target, by name. A target's corpus lives in <c>fuzz/corpus/&lt;name&gt;</c>.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new ConfigFileTarget("bootstrap-yaml", ConfigFileKind.Bootstrap, "envoy.yaml", "bootstrap envoy.yaml: parse, bind, validate, compose the snapshot"),
        new ConfigFileTarget("bootstrap-json", ConfigFileKind.Bootstrap, "envoy.json", "bootstrap envoy.json: the same through the JSON reader"),
        new ConfigFileTarget("lds", ConfigFileKind.Listeners, "lds.yaml", "LDS file: a DiscoveryResponse of Listeners"),
        new ConfigFileTarget("cds", ConfigFileKind.Clusters, "cds.yaml", "CDS file: a DiscoveryResponse of Clusters"),
        new ConfigFileTarget("eds", ConfigFileKind.Endpoints, "eds.yaml", $"EDS file: one ClusterLoadAssignment for {ConfigFileTarget.ExpectedEdsClusterName}"),
        new ClientHelloTarget(),
    ];

    /// <summary>The target called <paramref name="name"/>, or null.</summary>
    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));
}
