using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kubegate.Configuration;
using static Kubegate.Admin.ConfigResourceWriter;

namespace Kubegate.Admin;

/// <summary>
/// <c>/config_dump</c>: the configuration in force as Envoy's <c>envoy.admin.v3.ConfigDump</c> (proto-JSON), in
/// Envoy's order: bootstrap, clusters, endpoints (only with <c>?include_eds</c>), listeners. This is the dump's
/// envelope (which configs, static or dynamic, with which version); <see cref="ConfigResourceWriter"/> writes each
/// resource. Private key material
/// never appears: key files, inline keys and any string holding a PEM private key print as <c>[redacted]</c>.
/// </summary>
internal static class ConfigDumpFormatter
{
    public const string Redacted = "[redacted]";

    /// <summary>The <c>?resource=</c> values understood.</summary>
    public static readonly string[] Resources =
        ["static_clusters", "dynamic_active_clusters", "static_listeners", "dynamic_listeners", "static_endpoint_configs", "dynamic_endpoint_configs"];

    private const string AdminType = "type.googleapis.com/envoy.admin.v3.";

    /// <summary>The whole dump; null <paramref name="resource"/> means every config.</summary>
    /// <returns>The JSON, or null when <paramref name="resource"/> is not one of <see cref="Resources"/>.</returns>
    public static string? Format(ConfigSnapshot snapshot, bool includeEds, string? resource = null)
    {
        if (resource is not null && Array.IndexOf(Resources, resource) < 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("configs");
            if (resource is null)
            {
                WriteBootstrapDump(json, snapshot);
                WriteClustersDump(json, snapshot);
                if (includeEds)
                {
                    WriteEndpointsDump(json, snapshot);
                }

                WriteListenersDump(json, snapshot);
            }
            else
            {
                WriteResource(json, snapshot, resource);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteResource(Utf8JsonWriter json, ConfigSnapshot snapshot, string resource)
    {
        switch (resource)
        {
            case "static_clusters":
                foreach (var cluster in StaticClusters(snapshot))
                {
                    json.WriteStartObject();
                    json.WriteString("@type", AdminType + "ClustersConfigDump.StaticCluster");
                    WriteClusterEntry(json, cluster, version: null);
                }

                break;
            case "dynamic_active_clusters":
                foreach (var cluster in DynamicClusters(snapshot))
                {
                    json.WriteStartObject();
                    json.WriteString("@type", AdminType + "ClustersConfigDump.DynamicCluster");
                    WriteClusterEntry(json, cluster, Version(snapshot, snapshot.Bootstrap.CdsConfig));
                }

                break;
            case "static_listeners":
                foreach (var listener in StaticListeners(snapshot))
                {
                    json.WriteStartObject();
                    json.WriteString("@type", AdminType + "ListenersConfigDump.StaticListener");
                    json.WritePropertyName("listener");
                    WriteListener(json, listener);
                    json.WriteEndObject();
                }

                break;
            case "dynamic_listeners":
                foreach (var listener in DynamicListeners(snapshot))
                {
                    json.WriteStartObject();
                    json.WriteString("@type", AdminType + "ListenersConfigDump.DynamicListener");
                    WriteDynamicListenerBody(json, listener, Version(snapshot, snapshot.Bootstrap.LdsConfig));
                }

                break;
            case "static_endpoint_configs":
                foreach (var cluster in StaticClusters(snapshot))
                {
                    if (cluster.LoadAssignment is { } assignment)
                    {
                        json.WriteStartObject();
                        json.WriteString("@type", AdminType + "EndpointsConfigDump.StaticEndpointConfig");
                        json.WritePropertyName("endpoint_config");
                        WriteAssignment(json, assignment, withType: true);
                        json.WriteEndObject();
                    }
                }

                break;
            default:
                foreach (var (name, assignment, version) in DynamicAssignments(snapshot))
                {
                    json.WriteStartObject();
                    json.WriteString("@type", AdminType + "EndpointsConfigDump.DynamicEndpointConfig");
                    WriteOptional(json, "version_info", version);
                    json.WritePropertyName("endpoint_config");
                    WriteAssignment(json, assignment with { ClusterName = name }, withType: true);
                    json.WriteEndObject();
                }

                break;
        }
    }

    private static void WriteBootstrapDump(Utf8JsonWriter json, ConfigSnapshot snapshot)
    {
        var bootstrap = snapshot.Bootstrap;
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "BootstrapConfigDump");
        json.WriteStartObject("bootstrap");
        if (bootstrap.NodeId is not null || bootstrap.NodeCluster is not null)
        {
            json.WriteStartObject("node");
            WriteOptional(json, "id", bootstrap.NodeId);
            WriteOptional(json, "cluster", bootstrap.NodeCluster);
            json.WriteEndObject();
        }

        json.WriteStartObject("static_resources");
        json.WriteStartArray("listeners");
        foreach (var listener in bootstrap.StaticListeners)
        {
            WriteListener(json, listener);
        }

        json.WriteEndArray();
        json.WriteStartArray("clusters");
        foreach (var cluster in bootstrap.StaticClusters)
        {
            WriteCluster(json, cluster);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        if (bootstrap.LdsConfig is not null || bootstrap.CdsConfig is not null)
        {
            json.WriteStartObject("dynamic_resources");
            WriteConfigSource(json, "lds_config", bootstrap.LdsConfig);
            WriteConfigSource(json, "cds_config", bootstrap.CdsConfig);
            json.WriteEndObject();
        }

        if (bootstrap.Admin is { } admin)
        {
            json.WriteStartObject("admin");
            WriteOptional(json, "access_log_path", admin.AccessLogPath);
            if (admin.AccessLog.Length > 0)
            {
                json.WriteStartArray("access_log");
                foreach (var log in admin.AccessLog)
                {
                    WriteAccessLog(json, log);
                }

                json.WriteEndArray();
            }

            if (admin.Address is { } address)
            {
                WriteAddress(json, "address", address);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteClustersDump(Utf8JsonWriter json, ConfigSnapshot snapshot)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "ClustersConfigDump");
        var cdsVersion = Version(snapshot, snapshot.Bootstrap.CdsConfig);
        WriteOptional(json, "version_info", cdsVersion);
        json.WriteStartArray("static_clusters");
        foreach (var cluster in StaticClusters(snapshot))
        {
            json.WriteStartObject();
            WriteClusterEntry(json, cluster, version: null);
        }

        json.WriteEndArray();
        json.WriteStartArray("dynamic_active_clusters");
        foreach (var cluster in DynamicClusters(snapshot))
        {
            json.WriteStartObject();
            WriteClusterEntry(json, cluster, cdsVersion);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteEndpointsDump(Utf8JsonWriter json, ConfigSnapshot snapshot)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "EndpointsConfigDump");
        json.WriteStartArray("static_endpoint_configs");
        foreach (var cluster in StaticClusters(snapshot))
        {
            if (cluster.LoadAssignment is { } assignment)
            {
                json.WriteStartObject();
                json.WritePropertyName("endpoint_config");
                WriteAssignment(json, assignment, withType: true);
                json.WriteEndObject();
            }
        }

        json.WriteEndArray();
        json.WriteStartArray("dynamic_endpoint_configs");
        foreach (var (name, assignment, version) in DynamicAssignments(snapshot))
        {
            json.WriteStartObject();
            WriteOptional(json, "version_info", version);
            json.WritePropertyName("endpoint_config");
            WriteAssignment(json, assignment with { ClusterName = name }, withType: true);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteListenersDump(Utf8JsonWriter json, ConfigSnapshot snapshot)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "ListenersConfigDump");
        var ldsVersion = Version(snapshot, snapshot.Bootstrap.LdsConfig);
        WriteOptional(json, "version_info", ldsVersion);
        json.WriteStartArray("static_listeners");
        foreach (var listener in StaticListeners(snapshot))
        {
            json.WriteStartObject();
            json.WritePropertyName("listener");
            WriteListener(json, listener);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("dynamic_listeners");
        foreach (var listener in DynamicListeners(snapshot))
        {
            json.WriteStartObject();
            WriteDynamicListenerBody(json, listener, ldsVersion);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    // Closes the object the caller opened.
    private static void WriteClusterEntry(Utf8JsonWriter json, ClusterConfig cluster, string? version)
    {
        WriteOptional(json, "version_info", version);
        json.WritePropertyName("cluster");
        WriteCluster(json, cluster);
        json.WriteEndObject();
    }

    // Closes the object the caller opened.
    private static void WriteDynamicListenerBody(Utf8JsonWriter json, ListenerConfig listener, string? version)
    {
        json.WriteString("name", listener.Name);
        json.WriteStartObject("active_state");
        WriteOptional(json, "version_info", version);
        json.WritePropertyName("listener");
        WriteListener(json, listener);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static IEnumerable<ClusterConfig> StaticClusters(ConfigSnapshot snapshot) =>
        snapshot.Clusters.Where(c => IsStatic(snapshot, c.Name));

    private static IEnumerable<ClusterConfig> DynamicClusters(ConfigSnapshot snapshot) =>
        snapshot.Clusters.Where(c => !IsStatic(snapshot, c.Name));

    private static IEnumerable<ListenerConfig> StaticListeners(ConfigSnapshot snapshot) =>
        snapshot.Listeners.Where(l => snapshot.Bootstrap.StaticListeners.Any(s => string.Equals(s.Name, l.Name, StringComparison.Ordinal)));

    private static IEnumerable<ListenerConfig> DynamicListeners(ConfigSnapshot snapshot) =>
        snapshot.Listeners.Where(l => !snapshot.Bootstrap.StaticListeners.Any(s => string.Equals(s.Name, l.Name, StringComparison.Ordinal)));

    private static bool IsStatic(ConfigSnapshot snapshot, string name) =>
        snapshot.Bootstrap.StaticClusters.Any(c => string.Equals(c.Name, name, StringComparison.Ordinal));

    private static IEnumerable<(string Name, ClusterLoadAssignmentConfig Assignment, string? Version)> DynamicAssignments(ConfigSnapshot snapshot)
    {
        foreach (var cluster in snapshot.Clusters)
        {
            if (cluster.Type == DiscoveryType.Eds && snapshot.Assignments.TryGetValue(cluster.Name, out var assignment))
            {
                yield return (cluster.ExpectedEdsClusterName, assignment, Version(snapshot, cluster.EdsConfig));
            }
        }
    }

    private static string? Version(ConfigSnapshot snapshot, ConfigSourceConfig? source) =>
        source is not null && snapshot.VersionInfo.TryGetValue(source.FullPath, out var version) ? version : null;
}
