using System.Net;
using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration.Binding;

public class BootstrapBinderTests
{
    [Fact]
    public void Load_DefaultFiles_BindsBootstrap()
    {
        using var files = new ConfigFiles().WriteDefaults();

        var result = files.Load();

        ProblemAssert.Clean(result);
        var bootstrap = result.Snapshot!.Bootstrap;
        Assert.Equal("envoy.yaml", bootstrap.Path);
        Assert.Equal("test-node", bootstrap.NodeId);
        Assert.Equal("test-cluster", bootstrap.NodeCluster);
        Assert.Equal(new SocketAddressConfig(IPAddress.Loopback, 10000), bootstrap.Admin!.Address);
        Assert.Equal("lds.yaml", bootstrap.LdsConfig!.Path);
        Assert.Equal(Path.Combine(files.Directory, "lds.yaml"), bootstrap.LdsConfig.FullPath);
        Assert.Equal(files.LineOf("envoy.yaml", "path: lds.yaml"), bootstrap.LdsConfig.Location.Line);
        Assert.Equal(Path.Combine(files.Directory, "cds.yaml"), bootstrap.CdsConfig!.FullPath);
    }

    [Fact]
    public void Load_UnknownBootstrapField_IsFatal()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap + "\nadmin_port: 9901");

        var result = files.Load();

        var error = ProblemAssert.Error(result, "admin_port");
        Assert.True(error.IsUnknownField);
        Assert.Equal("envoy.yaml", error.File);
        Assert.Equal(files.LineOf("envoy.yaml", "admin_port"), error.Line);
        Assert.Equal("unknown field 'admin_port' in envoy.config.bootstrap.v3.Bootstrap (unknown fields are fatal in the bootstrap, as in Envoy)", error.Message);
    }

    [Fact]
    public void Load_UnknownFieldInNestedBootstrapMessage_SuggestsTheNearestName()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("  id: test-node", "  idd: test-node\n  id: test-node", StringComparison.Ordinal));

        var result = files.Load();

        var error = ProblemAssert.Error(result, "node.idd");
        Assert.Equal("did you mean 'id'?", error.Fix);
    }

    [Theory]
    [InlineData("stats_sinks: []")]
    [InlineData("layered_runtime: {layers: []}")]
    [InlineData("overload_manager: {refresh_interval: 0.25s}")]
    [InlineData("cluster_manager: {local_cluster_name: x}")]
    [InlineData("watchdogs: {}")]
    [InlineData("tracing: {}")]
    [InlineData("stats_config: {}")]
    public void Load_EnvoyBootstrapFieldKubegateIgnores_IsAWarning(string line)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap + "\n" + line);

        var result = files.Load();

        var warning = ProblemAssert.Warning(result, line[..line.IndexOf(':', StringComparison.Ordinal)]);
        Assert.StartsWith("ignored by kubegate", warning.Message, StringComparison.Ordinal);
        Assert.False(warning.IsUnknownField);
        Assert.NotNull(result.Snapshot);
    }

    [Theory]
    [InlineData("  id: test-node\n", "")]
    [InlineData("  cluster: test-cluster\n", "")]
    public void Load_NodeIncompleteWithDynamicResources_FailsWithEnvoysMessage(string remove, string replacement)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", (ConfigFiles.DefaultBootstrap + "\n").Replace(remove, replacement, StringComparison.Ordinal));

        var result = files.Load();

        var error = ProblemAssert.Error(result, "node");
        Assert.Equal(
            "type.googleapis.com/envoy.config.cluster.v3.Cluster: node 'id' and 'cluster' are required. Set it either in 'node' config or via --service-node and --service-cluster options.",
            error.Message);
        Assert.Contains("node: {id:", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoNodeAndOnlyStaticResources_IsFine()
    {
        using var files = new ConfigFiles();
        files.Write("envoy.yaml", """
            static_resources:
              listeners:
              - name: l1
                address: {socket_address: {address: 127.0.0.1, port_value: 7000}}
                filter_chains:
                - filters:
                  - name: envoy.filters.network.tcp_proxy
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                      stat_prefix: l1
                      cluster: s1
              clusters:
              - name: s1
                type: STATIC
                connect_timeout: 2s
                load_assignment:
                  cluster_name: s1
                  endpoints:
                  - lb_endpoints:
                    - endpoint: {address: {socket_address: {address: 10.0.0.9, port_value: 6443}}}
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        var snapshot = result.Snapshot!;
        Assert.Equal("l1", snapshot.Listeners.Single().Name);
        Assert.Equal(TimeSpan.FromSeconds(2), snapshot.Clusters.Single().ConnectTimeout);
        Assert.Equal("10.0.0.9:6443", snapshot.Assignments["s1"].Endpoints.Single().Address.ToString());
        Assert.Equal(snapshot.Bootstrap.StaticListeners, snapshot.Listeners);
        Assert.Null(snapshot.Bootstrap.LdsConfig);
    }

    [Fact]
    public void Load_StaticEdsClusterWithoutNode_NeedsNode()
    {
        using var files = new ConfigFiles();
        files.Write("eds_s1.yaml", ConfigFiles.Eds("s1", "10.0.0.1:6443"));
        files.Write("envoy.yaml", """
            static_resources:
              clusters:
              - name: s1
                type: EDS
                eds_cluster_config: {eds_config: {path_config_source: {path: eds_s1.yaml}}}
            """);

        var result = files.Load();

        var error = ProblemAssert.Error(result, "node");
        Assert.StartsWith("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment: node 'id' and 'cluster' are required.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_StaticClusterWithUnknownField_IsFatalInTheBootstrap()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap + """

            static_resources:
              clusters:
              - name: s1
                load_assignment: {cluster_name: s1}
                retry_policy: {num_retries: 3}
            """);

        var result = files.Load();

        var error = ProblemAssert.Error(result, "static_resources.clusters[0].retry_policy");
        Assert.True(error.IsUnknownField);
        Assert.StartsWith("TCP retries are `max_connect_attempts` on the listener's tcp_proxy", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DeprecatedConfigSourcePath_WorksWithAWarning()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("    path_config_source:\n      path: lds.yaml", "    path: lds.yaml", StringComparison.Ordinal));

        var result = files.Load();

        var warning = ProblemAssert.Warning(result, "dynamic_resources.lds_config.path");
        Assert.Equal("'path' is deprecated (Envoy still accepts it and so does kubegate)", warning.Message);
        Assert.Equal("write path_config_source: {path: lds.yaml}", warning.Fix);
        Assert.Equal("l1", result.Snapshot!.Listeners.Single().Name);
    }

    [Fact]
    public void Load_PathAndPathConfigSource_IsAOneofConflict()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("  lds_config:\n", "  lds_config:\n    path: lds.yaml\n", StringComparison.Ordinal));

        var result = files.Load();

        var error = ProblemAssert.Error(result, "dynamic_resources.lds_config");
        Assert.Contains("'path' and 'path_config_source' are both set", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  ads_config: {api_type: GRPC}\n", "dynamic_resources.ads_config")]
    [InlineData("  lds_config:\n    api_config_source: {api_type: GRPC}\n", "dynamic_resources.lds_config.api_config_source")]
    [InlineData("  lds_config:\n    ads: {}\n", "dynamic_resources.lds_config.ads")]
    public void Load_GrpcOrAdsSource_SaysFilesOnly(string dynamicResources, string path)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", "node: {id: a, cluster: b}\ndynamic_resources:\n" + dynamicResources);

        var result = files.Load();

        var error = ProblemAssert.Error(result, path);
        Assert.Equal("kubegate reads xDS from files only", error.Message);
    }

    [Theory]
    [InlineData("V3")]
    [InlineData("AUTO")]
    [InlineData("v3")]
    public void Load_ResourceApiVersion_AutoAndV3Accepted(string version)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("  lds_config:\n", $"  lds_config:\n    resource_api_version: {version}\n", StringComparison.Ordinal));

        ProblemAssert.Clean(files.Load());
    }

    [Fact]
    public void Load_MissingLdsFile_UsesEnvoysMessage()
    {
        using var files = new ConfigFiles().WriteDefaults();
        File.Delete(Path.Combine(files.Directory, "lds.yaml"));

        var result = files.Load();

        var error = ProblemAssert.Error(result, "dynamic_resources.lds_config.path_config_source.path");
        Assert.Equal("envoy.yaml", error.File);
        Assert.Equal(files.LineOf("envoy.yaml", "path: lds.yaml"), error.Line);
        Assert.Equal("paths must refer to an existing path in the system: 'lds.yaml' does not exist", error.Message);
    }

    [Fact]
    public void Load_PathsRelativeToTheBootstrapFolder_FixSaysWhereToRunFrom()
    {
        using var files = new ConfigFiles();
        files.Write("conf/envoy.yaml", ConfigFiles.DefaultBootstrap)
            .Write("conf/lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1")))
            .Write("conf/cds.yaml", ConfigFiles.ClusterFile())
            .Write("conf/eds_c1.yaml", ConfigFiles.Eds("c1", "10.0.0.1:6443"));

        var result = files.Load("conf/envoy.yaml");

        var error = ProblemAssert.Error(result, "dynamic_resources.lds_config.path_config_source.path");
        Assert.Equal("conf/envoy.yaml", error.File);
        Assert.Equal(
            $"relative paths resolve against the working directory {files.Directory}; run kubegate from {Path.Combine(files.Directory, "conf")} or write conf/lds.yaml",
            error.Fix);
        Assert.Equal(
            $"conf/envoy.yaml:{error.Line}: dynamic_resources.lds_config.path_config_source.path: paths must refer to an existing path in the system: 'lds.yaml' does not exist ({error.Fix})",
            error.ToString());
    }

    [Fact]
    public void Load_MissingBootstrap_ReportsIt()
    {
        using var files = new ConfigFiles();

        var result = files.Load("nope.yaml");

        var error = Assert.Single(result.Problems);
        Assert.Equal("nope.yaml", error.File);
        Assert.Equal(0, error.Line);
        Assert.Equal("unable to read file: 'nope.yaml' does not exist", error.Message);
        Assert.Null(result.Snapshot);
    }

    [Theory]
    [InlineData("      path: \"lds\\0.yaml\"\n", "dynamic_resources.lds_config.path_config_source.path")]
    [InlineData("      path: lds.yaml\n      watched_directory: {path: \"a\\0b\"}\n", "dynamic_resources.lds_config.path_config_source.watched_directory.path")]
    public void Load_PathWithANulCharacter_IsAnErrorOfTheField(string pathLines, string path)
    {
        // A YAML or JSON escape can put \0 into a path, and Path.GetFullPath throws on it (found by fuzzing).
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("      path: lds.yaml\n", pathLines, StringComparison.Ordinal));

        var result = files.Load();

        Assert.Contains("NUL character", ProblemAssert.Error(result, path).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EmptyBootstrap_IsAnError()
    {
        using var files = new ConfigFiles();
        files.Write("envoy.yaml", "# nothing\n");

        var result = files.Load();

        var error = ProblemAssert.Error(result, string.Empty);
        Assert.Equal("the bootstrap is empty", error.Message);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void Load_AdminOnAllInterfaces_WarnsAboutTheOpenAdminPort()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("address: 127.0.0.1", "address: 0.0.0.0", StringComparison.Ordinal));

        var result = files.Load();

        var warning = ProblemAssert.Warning(result, "admin.address.socket_address.address");
        Assert.Contains("no authentication", warning.Message, StringComparison.Ordinal);
        Assert.Contains("address: 127.0.0.1", warning.Fix, StringComparison.Ordinal);
        Assert.NotNull(result.Snapshot);
    }

    [Fact]
    public void Load_AdminAccessLogs_BoundWithDeprecationForAccessLogPath()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap + """

              access_log_path: /dev/null
              profile_path: /tmp/envoy.prof
              access_log:
              - name: envoy.access_loggers.stdout
            """);

        var result = files.Load();

        ProblemAssert.Warning(result, "admin.access_log_path");
        var admin = result.Snapshot!.Bootstrap.Admin!;
        Assert.Equal("/dev/null", admin.AccessLogPath);
        Assert.Equal("/tmp/envoy.prof", admin.ProfilePath);
        Assert.Equal("type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog", admin.AccessLog.Single().TypeUrl);
    }

    [Fact]
    public void Load_WatchedDirectory_IsResolvedAndMustExist()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("      path: lds.yaml", "      path: lds.yaml\n      watched_directory: {path: data}", StringComparison.Ordinal));

        var missing = files.Load();
        Directory.CreateDirectory(Path.Combine(files.Directory, "data"));
        var present = files.Load();

        Assert.Equal("watched directory 'data' does not exist", ProblemAssert.Error(missing, "dynamic_resources.lds_config.path_config_source.watched_directory.path").Message);
        ProblemAssert.Clean(present);
        Assert.Equal(Path.Combine(files.Directory, "data"), present.Snapshot!.Bootstrap.LdsConfig!.WatchedDirectory);
    }

    [Fact]
    public void Load_NodeFieldsEnvoyUsesOnlyForManagementServers_AreAccepted()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("  cluster: test-cluster", "  cluster: test-cluster\n  metadata: {team: infra}\n  locality: {zone: a}", StringComparison.Ordinal));

        ProblemAssert.Clean(files.Load());
    }

    [Fact]
    public void Load_DuplicateStaticClusters_EnvoysMessage()
    {
        using var files = new ConfigFiles();
        files.Write("envoy.yaml", """
            static_resources:
              clusters:
              - {name: s1, load_assignment: {cluster_name: s1}}
              - {name: s1, load_assignment: {cluster_name: s1}}
            """);

        var error = ProblemAssert.Error(files.Load(), "static_resources.clusters[1]");

        Assert.Equal("duplicate cluster s1 found", error.Message);
        Assert.Equal(4, error.Line);
    }

    [Fact]
    public void Load_TypeFieldInAStaticListener_HasAHint()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap + "\nstatic_resources:\n  clusters:\n  - \"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\n    name: s1\n    load_assignment: {cluster_name: s1}\n");

        var error = ProblemAssert.Error(files.Load(), "static_resources.clusters[0].@type");

        Assert.StartsWith("\"@type\" belongs only in typed_config", error.Fix, StringComparison.Ordinal);
    }
}
