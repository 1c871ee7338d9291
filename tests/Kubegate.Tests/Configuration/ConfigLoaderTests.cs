using System.Net;
using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration;

public class ConfigLoaderTests
{
    [Fact]
    public void Load_ErrorsInEveryFile_AreAllReportedInOneRun()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap + "\nadmin_port: 1");
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1", "idle_timeout: 10m")));
        files.Write("cds.yaml", ConfigFiles.ClusterFile("lb_policy: MAGLEV\nconnect_timeout: 5"));
        files.Write("eds_c1.yaml", ConfigFiles.Eds("c1", "master-1:6443"));

        var result = files.Load();

        Assert.Null(result.Snapshot);
        Assert.Equal(
            [
                ("envoy.yaml", "admin_port"),
                ("lds.yaml", "resources[0].filter_chains[0].filters[0].typed_config.idle_timeout"),
                ("cds.yaml", "resources[0].lb_policy"),
                ("cds.yaml", "resources[0].connect_timeout"),
                ("eds_c1.yaml", "resources[0].endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address"),
            ],
            result.Errors.Select(e => (e.File, e.Path)));
    }

    [Fact]
    public void Load_Problems_AreOrderedByFileThenLine()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("zzz: 1\naaa: 2\nconnect_timeout: 1m");
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1") + "  unknown_listener_field: 1\n"));

        var result = files.Load();

        Assert.Equal(["lds.yaml", "cds.yaml", "cds.yaml", "cds.yaml"], result.Problems.Select(p => p.File));
        Assert.Equal(result.Problems.Where(p => p.File == "cds.yaml").Select(p => p.Line).Order(), result.Problems.Where(p => p.File == "cds.yaml").Select(p => p.Line));
    }

    [Fact]
    public void Load_ConfigErrorToString_IsFileLinePathProblemFix()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("connect_timeout: 500ms\nretry_policy: {}");

        var result = files.Load();

        var timeoutLine = files.LineOf("cds.yaml", "connect_timeout");
        var retryLine = files.LineOf("cds.yaml", "retry_policy");
        Assert.Equal(
            [
                $"cds.yaml:{timeoutLine}: resources[0].connect_timeout: invalid duration '500ms': a duration must end with a single 's' (seconds, fractions allowed) (write \"0.5s\")",
                $"cds.yaml:{retryLine}: warning: resources[0].retry_policy: unknown field 'retry_policy' in envoy.config.cluster.v3.Cluster is ignored (as Envoy does for dynamic resources) (TCP retries are `max_connect_attempts` on the listener's tcp_proxy (e.g. max_connect_attempts: 2); Envoy clusters have no retry_policy)",
            ],
            result.Problems.Select(p => p.ToString()));
    }

    [Fact]
    public void Load_OnlyWarnings_GivesASnapshotCarryingThem()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("retry_policy: {num_retries: 3}");

        var result = files.Load();

        Assert.True(result.Succeeded);
        var warning = Assert.Single(result.Snapshot!.Warnings);
        Assert.Equal(result.Problems.Single(), warning);
        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Load_JsonAndYamlWithTheSameContent_GiveEqualResources()
    {
        using var yaml = new ConfigFiles().WriteDefaults();
        yaml.WriteCluster("connect_timeout: 2s\nlb_policy: RANDOM\nhealth_checks: [{timeout: 1s, interval: 2s, unhealthy_threshold: 3, healthy_threshold: 2, tcp_health_check: {}}]");
        using var json = new ConfigFiles();
        json.Write("envoy.json", """
            {
              "node": {"id": "test-node", "cluster": "test-cluster"},
              "dynamic_resources": {
                "lds_config": {"path_config_source": {"path": "lds.json"}},
                "cds_config": {"path_config_source": {"path": "cds.json"}}
              },
              "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 10000}}}
            }
            """);
        json.Write("lds.json", """
            {"resources": [{
              "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
              "name": "l1",
              "address": {"socket_address": {"address": "0.0.0.0", "port_value": 6443}},
              "filter_chains": [{"filters": [{
                "name": "envoy.filters.network.tcp_proxy",
                "typed_config": {
                  "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
                  "stat_prefix": "l1",
                  "cluster": "c1"
                }
              }]}]
            }]}
            """);
        json.Write("cds.json", """
            {"resources": [{
              "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
              "name": "c1",
              "type": "EDS",
              "eds_cluster_config": {"eds_config": {"path_config_source": {"path": "eds_c1.json"}}},
              "connectTimeout": "2s",
              "lb_policy": "RANDOM",
              "health_checks": [{"timeout": "1s", "interval": "2s", "unhealthy_threshold": 3, "healthy_threshold": "2", "tcp_health_check": {}}]
            }]}
            """);
        json.Write("eds_c1.json", """
            {"resources": [{
              "@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
              "cluster_name": "c1",
              "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {"socket_address": {"address": "10.0.0.1", "port_value": 6443}}}}]}]
            }]}
            """);

        var fromYaml = yaml.Load().Snapshot!;
        var fromJson = json.Load("envoy.json");

        ProblemAssert.Clean(fromJson);
        Assert.Equal(fromYaml.Listeners, fromJson.Snapshot!.Listeners);
        Assert.Equal(fromYaml.Clusters.Single() with { EdsConfig = null }, fromJson.Snapshot.Clusters.Single() with { EdsConfig = null });
        Assert.Equal(fromYaml.Assignments["c1"], fromJson.Snapshot.Assignments["c1"]);
        Assert.Equal(fromYaml.Bootstrap.Admin, fromJson.Snapshot.Bootstrap.Admin);
    }

    [Fact]
    public void Load_JsonFile_ReportsTheRightLines()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("cds.yaml", "cds.json", StringComparison.Ordinal));
        files.Write("cds.json", """
            {
              "resources": [
                {
                  "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
                  "name": "c1",
                  "type": "EDS",
                  "eds_cluster_config": {"eds_config": {"path_config_source": {"path": "eds_c1.yaml"}}},
                  "connect_timeout": 5,
                  "unknownThing": true
                }
              ]
            }
            """);

        var result = files.Load();

        Assert.Equal(files.LineOf("cds.json", "connect_timeout"), ProblemAssert.Error(result, "resources[0].connect_timeout").Line);
        Assert.Equal(files.LineOf("cds.json", "unknownThing"), ProblemAssert.Warning(result, "resources[0].unknownThing").Line);
    }

    [Fact]
    public void Load_JsonSyntaxError_ReportsFileAndLine()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("cds.yaml", "cds.json", StringComparison.Ordinal));
        files.Write("cds.json", "{\n  \"resources\": [\n    {\"name\": \"c1\",}\n  ]\n}");

        var error = ProblemAssert.Error(files.Load(), string.Empty);

        Assert.Equal("cds.json", error.File);
        Assert.Equal(3, error.Line);
        Assert.StartsWith("invalid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_YamlSyntaxError_ReportsFileAndLineAndKeepsCheckingOtherFiles()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", "resources:\n- name: [unclosed\n");
        files.Write("eds_c1.yaml", ConfigFiles.Eds("wrong", "10.0.0.1:6443"));

        var result = files.Load();

        var syntax = ProblemAssert.Error(result, string.Empty);
        Assert.Equal("lds.yaml", syntax.File);
        Assert.StartsWith("invalid YAML", syntax.Message, StringComparison.Ordinal);
        Assert.Equal("Unexpected EDS cluster (expecting c1): wrong", ProblemAssert.Single(result, "resources[0].cluster_name").Message);
    }

    [Fact]
    public void Load_FileWithUnknownExtension_IsParsedAsJson()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("lds.yaml", "lds.conf", StringComparison.Ordinal));
        files.Write("lds.conf", "{\"version_info\": \"1\", \"resources\": []}");

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.True(result.Snapshot!.Listeners.IsEmpty);
    }

    [Fact]
    public void Load_YamlInAFileWithUnknownExtension_SuggestsRenaming()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap.Replace("lds.yaml", "lds.conf", StringComparison.Ordinal));
        files.Write("lds.conf", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1")));

        var error = ProblemAssert.Error(files.Load(), string.Empty);

        Assert.Equal("lds.conf", error.File);
        Assert.Contains("rename it to end in .yaml", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UpperCaseYamlExtension_IsYaml()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("ENVOY.YML", ConfigFiles.DefaultBootstrap);

        ProblemAssert.Clean(files.Load("ENVOY.YML"));
    }

    [Fact]
    public void Load_SameFilesTwice_GiveEqualSnapshotParts()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("health_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, tcp_health_check: {send: {text: \"00\"}}}]\noutlier_detection: {max_ejection_percent: 100}");

        var first = files.Load().Snapshot!;
        var second = files.Load().Snapshot!;

        Assert.Equal(first.Bootstrap, second.Bootstrap);
        Assert.Equal(first.Listeners, second.Listeners);
        Assert.Equal(first.Clusters, second.Clusters);
        Assert.Equal(first.Assignments["c1"], second.Assignments["c1"]);
        Assert.Equal(first.Warnings, second.Warnings);
        Assert.Equal(first.Clusters.GetHashCode(), second.Clusters.GetHashCode());
    }

    [Fact]
    public void Load_CommentLineAdded_ListenersAndClustersStayEqual()
    {
        using var files = new ConfigFiles().WriteDefaults();
        var before = files.Load().Snapshot!;
        files.Write("lds.yaml", "# a comment\n# another\n" + files.Read("lds.yaml"));
        files.Write("cds.yaml", "# a comment\n" + files.Read("cds.yaml"));
        files.Write("eds_c1.yaml", "# a comment\n" + files.Read("eds_c1.yaml"));

        var after = files.Load().Snapshot!;

        Assert.NotEqual(before.Listeners[0].Location.Line, after.Listeners[0].Location.Line);
        Assert.Equal(before.Listeners[0], after.Listeners[0]);
        Assert.Equal(before.Clusters[0], after.Clusters[0]);
        Assert.Equal(before.Assignments["c1"], after.Assignments["c1"]);
    }

    [Fact]
    public void Load_ChangedValue_ResourcesDiffer()
    {
        using var files = new ConfigFiles().WriteDefaults();
        var before = files.Load().Snapshot!;
        files.WriteCluster("connect_timeout: 4s");

        var after = files.Load().Snapshot!;

        Assert.NotEqual(before.Clusters[0], after.Clusters[0]);
        Assert.Equal(before.Listeners[0], after.Listeners[0]);
    }

    [Fact]
    public void Load_VersionInfoUnquotedNumber_SaysToQuoteIt()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", "version_info: 7\n" + ConfigFiles.ClusterFile());

        Assert.Equal("quote it: version_info: \"7\"", ProblemAssert.Error(files.Load(), "version_info").Fix);
    }

    [Fact]
    public void Load_DynamicFileWithBareList_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", ConfigFiles.Cluster("c1"));

        var error = ProblemAssert.Error(files.Load(), string.Empty);

        Assert.Equal("CDS files hold a DiscoveryResponse object, not a list", error.Message);
    }

    [Fact]
    public void Load_DynamicFileWithBareResource_SaysToPutItUnderResources()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", "cluster_name: c1\nendpoints: []\n");

        var error = ProblemAssert.Error(files.Load(), string.Empty);

        Assert.Equal("this EDS file holds a bare resource; a dynamic file is a DiscoveryResponse with a resources list", error.Message);
    }

    [Fact]
    public void Load_TypeUrlAndNonceInADynamicFile_AreIgnored()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", "type_url: type.googleapis.com/envoy.config.listener.v3.Listener\nnonce: abc\n" + ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1")));

        ProblemAssert.Clean(files.Load());
    }

    [Fact]
    public void Load_EmptyLdsFile_HasNoListeners()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", string.Empty);

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.True(result.Snapshot!.Listeners.IsEmpty);
        Assert.False(result.Snapshot.VersionInfo.ContainsKey(Path.Combine(files.Directory, "lds.yaml")));
    }

    [Fact]
    public void Load_OneEdsFileForTwoClusters_IsReadForEach()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", "resources:\n" + ConfigFiles.Cluster("c1") + ConfigFiles.Cluster("c2").Replace("eds_c2.yaml", "eds_c1.yaml", StringComparison.Ordinal).Replace("    eds_config:", "    service_name: c1\n    eds_config:", StringComparison.Ordinal));

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.Equal(result.Snapshot!.Assignments["c1"], result.Snapshot.Assignments["c2"]);
    }

    [Fact]
    public void ParseListenerFile_Alone_ReturnsResourcesAndVersion()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", "version_info: \"9\"\n" + ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1"), ConfigFiles.Listener("l2", 6444, "nowhere")));

        var result = files.Loader().ParseListenerFile("lds.yaml");

        Assert.True(result.Succeeded);
        Assert.Equal("lds.yaml", result.File);
        Assert.Equal(Path.Combine(files.Directory, "lds.yaml"), result.FullPath);
        Assert.Equal("9", result.VersionInfo);
        Assert.Equal(["l1", "l2"], result.Resources.Select(l => l.Name));
        Assert.Equal(["resources[0]", "resources[1]"], result.ResourcePaths.ToList());
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void ParseClusterFile_OneInvalidCluster_KeepsTheValidOnesAndNamesTheRejected()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c2.yaml", ConfigFiles.Eds("c2", "10.0.0.2:6443"));
        files.Write("cds.yaml", "resources:\n" + ConfigFiles.Cluster("c1", "lb_policy: MAGLEV") + ConfigFiles.Cluster("c2") + "  bogus: 1\n");

        var result = files.Loader().ParseClusterFile("cds.yaml");

        Assert.False(result.Succeeded);
        Assert.False(result.ParseFailed);
        Assert.Equal(["c2"], result.Resources.Select(c => c.Name));
        Assert.Equal(["resources[1]"], result.ResourcePaths.ToList());
        Assert.Equal(["c1"], result.RejectedNames.ToList());
        Assert.Equal(1, result.UnknownFieldCount);
    }

    [Theory]
    [InlineData("resources: [", true)]
    [InlineData("resources:\n- {\"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster, name: c1, connect_timeout: 1m}", true)]
    [InlineData("resources:\n- {\"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster, name: c1, connect_timeout: 0s, load_assignment: {cluster_name: c1}}", false)]
    public void ParseClusterFile_ParseVersusValidationErrors_MapToEnvoysFailureAndRejected(string content, bool parseFailed)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", content);

        var result = files.Loader().ParseClusterFile("cds.yaml");

        Assert.False(result.Succeeded);
        Assert.Equal(parseFailed, result.ParseFailed);
    }

    [Fact]
    public void ParseEndpointFile_Alone_ChecksTheExpectedName()
    {
        using var files = new ConfigFiles().WriteDefaults();

        var good = files.Loader().ParseEndpointFile("eds_c1.yaml", "c1");
        var bad = files.Loader().ParseEndpointFile("eds_c1.yaml", "c9");

        Assert.True(good.Succeeded);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), good.Resources.Single().Endpoints.Single().Address.Address);
        Assert.Empty(bad.Resources);
        Assert.Equal("Unexpected EDS cluster (expecting c9): c1", bad.Problems.Single().Message);
    }

    [Fact]
    public void ParseListenerFile_MissingFile_UsesEnvoysMessage()
    {
        using var files = new ConfigFiles();

        var result = files.Loader().ParseListenerFile("gone.yaml");

        Assert.Equal("paths must refer to an existing path in the system: 'gone.yaml' does not exist", result.Problems.Single().Message);
    }

    [Fact]
    public void Compose_FromSeparatelyParsedFiles_EqualsLoad()
    {
        using var files = new ConfigFiles().WriteDefaults();
        var loader = files.Loader();
        var bootstrap = loader.ParseBootstrap("envoy.yaml");
        var listeners = loader.ParseListenerFile(bootstrap.Bootstrap.LdsConfig!);
        var clusters = loader.ParseClusterFile(bootstrap.Bootstrap.CdsConfig!);
        var cluster = clusters.Resources.Single();
        var endpoints = new Dictionary<string, DynamicFileResult<ClusterLoadAssignmentConfig>>
        {
            [cluster.Name] = loader.ParseEndpointFile(cluster.EdsConfig!, cluster.ExpectedEdsClusterName),
        };

        var composed = ConfigLoader.Compose(bootstrap, listeners, clusters, endpoints).Snapshot!;
        var loaded = loader.Load("envoy.yaml").Snapshot!;

        Assert.Equal(loaded.Listeners, composed.Listeners);
        Assert.Equal(loaded.Clusters, composed.Clusters);
        Assert.Equal(loaded.Assignments["c1"], composed.Assignments["c1"]);
        Assert.Equal(loaded.VersionInfo, composed.VersionInfo);
    }
}
