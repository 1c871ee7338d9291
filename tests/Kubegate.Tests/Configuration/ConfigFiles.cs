using System.Text;
using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration;

/// <summary>
/// A temporary directory holding a bootstrap and its LDS/CDS/EDS files, loaded with that directory as the working
/// directory. <see cref="WriteDefaults"/> writes a small valid set that tests then overwrite file by file.
/// </summary>
internal sealed class ConfigFiles : IDisposable
{
    public const string ListenerType = "\"@type\": type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string ClusterType = "\"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string AssignmentType = "\"@type\": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    public const string TcpProxyType = "\"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";

    public const string DefaultBootstrap = """
        node:
          id: test-node
          cluster: test-cluster
        dynamic_resources:
          lds_config:
            path_config_source:
              path: lds.yaml
          cds_config:
            path_config_source:
              path: cds.yaml
        admin:
          address:
            socket_address:
              address: 127.0.0.1
              port_value: 10000
        """;

    public ConfigFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "kubegate-config-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public ConfigFiles Write(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content.ReplaceLineEndings("\n") + "\n", new UTF8Encoding(false));
        return this;
    }

    public string Read(string name) => File.ReadAllText(Path.Combine(Directory, name));

    /// <summary>Bootstrap, one listener l1 (0.0.0.0:6443 → c1), one EDS cluster c1, and its EDS file (10.0.0.1:6443).</summary>
    public ConfigFiles WriteDefaults()
    {
        Write("envoy.yaml", DefaultBootstrap);
        Write("lds.yaml", Lds(Listener("l1", 6443, "c1")));
        Write("cds.yaml", ClusterFile());
        Write("eds_c1.yaml", Eds("c1", "10.0.0.1:6443"));
        return this;
    }

    /// <summary>Writes cds.yaml with cluster c1 (EDS, eds_c1.yaml) plus <paramref name="extra"/> lines (indented as cluster fields).</summary>
    public ConfigFiles WriteCluster(string extra = "") => Write("cds.yaml", ClusterFile(extra));

    public static string ClusterFile(string extra = "") => "resources:\n" + Cluster("c1", extra);

    public static string Cluster(string name, string extra = "")
    {
        var builder = new StringBuilder();
        builder.Append("- ").Append(ClusterType).Append('\n');
        builder.Append("  name: ").Append(name).Append('\n');
        builder.Append("  type: EDS\n");
        builder.Append("  eds_cluster_config:\n    eds_config:\n      path_config_source:\n        path: eds_").Append(name).Append(".yaml\n");
        foreach (var line in extra.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            builder.Append("  ").Append(line).Append('\n');
        }

        return builder.ToString();
    }

    public static string Lds(params string[] listeners) => "resources:\n" + string.Concat(listeners);

    public static string Listener(string name, int port, string cluster, string proxyExtra = "", string address = "0.0.0.0")
    {
        var builder = new StringBuilder();
        builder.Append("- ").Append(ListenerType).Append('\n');
        builder.Append("  name: ").Append(name).Append('\n');
        builder.Append("  address:\n    socket_address:\n      address: ").Append(address).Append("\n      port_value: ").Append(port).Append('\n');
        builder.Append("  filter_chains:\n  - filters:\n    - name: envoy.filters.network.tcp_proxy\n      typed_config:\n");
        builder.Append("        ").Append(TcpProxyType).Append('\n');
        builder.Append("        stat_prefix: ").Append(name).Append('\n');
        builder.Append("        cluster: ").Append(cluster).Append('\n');
        foreach (var line in proxyExtra.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            builder.Append("        ").Append(line).Append('\n');
        }

        return builder.ToString();
    }

    public static string Eds(string clusterName, params string[] endpoints)
    {
        var builder = new StringBuilder("resources:\n- ").Append(AssignmentType).Append('\n');
        builder.Append("  cluster_name: ").Append(clusterName).Append('\n');
        builder.Append("  endpoints:\n  - lb_endpoints:\n");
        foreach (var endpoint in endpoints)
        {
            var colon = endpoint.LastIndexOf(':');
            builder.Append("    - endpoint:\n        address:\n          socket_address:\n            address: ").Append(endpoint[..colon]);
            builder.Append("\n            port_value: ").Append(endpoint[(colon + 1)..]).Append('\n');
        }

        return builder.ToString();
    }

    public ConfigLoadResult Load(string bootstrap = "envoy.yaml", bool rejectUnknownDynamicFields = false) =>
        Loader(rejectUnknownDynamicFields).Load(bootstrap);

    public ConfigLoader Loader(bool rejectUnknownDynamicFields = false) =>
        new(new ConfigLoaderOptions { WorkingDirectory = Directory, RejectUnknownDynamicFields = rejectUnknownDynamicFields });

    /// <summary>1-based line of the first line of <paramref name="file"/> that contains <paramref name="marker"/>.</summary>
    public int LineOf(string file, string marker, int occurrence = 1)
    {
        var lines = Read(file).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Contains(marker, StringComparison.Ordinal) && --occurrence == 0)
            {
                return i + 1;
            }
        }

        throw new InvalidOperationException($"'{marker}' not found in {file}");
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
