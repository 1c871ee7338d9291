using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration.Binding;

public class ClusterBinderTests
{
    [Fact]
    public void Load_Cluster_BindsEveryField()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            alt_stat_name: apiserver
            connect_timeout: 0.25s
            lb_policy: LEAST_REQUEST
            least_request_lb_config:
              choice_count: 3
              active_request_bias: {default_value: 0.5, runtime_key: upstream.bias}
            common_lb_config:
              healthy_panic_threshold: {value: 25}
              ignore_new_hosts_until_first_hc: true
            upstream_connection_options:
              tcp_keepalive: {keepalive_probes: 3, keepalive_time: 300, keepalive_interval: 10}
            circuit_breakers:
              thresholds:
              - {priority: HIGH, max_connections: 5}
              - {max_connections: 100, max_pending_requests: 10}
            ignore_health_on_host_removal: true
            close_connections_on_host_health_failure: true
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        var cluster = result.Snapshot!.Clusters.Single();
        Assert.Equal("c1", cluster.Name);
        Assert.Equal("apiserver", cluster.ObservabilityName);
        Assert.Equal(DiscoveryType.Eds, cluster.Type);
        Assert.Equal(TimeSpan.FromMilliseconds(250), cluster.ConnectTimeout);
        Assert.Equal(LbPolicy.LeastRequest, cluster.LbPolicy);
        Assert.Equal(3, cluster.LeastRequestChoiceCount);
        Assert.Equal(0.5, cluster.LeastRequestActiveRequestBias);
        Assert.Equal(25, cluster.HealthyPanicThreshold);
        Assert.True(cluster.IgnoreNewHostsUntilFirstHc);
        Assert.Equal(new TcpKeepaliveConfig(3, 300, 10), cluster.TcpKeepalive);
        Assert.Equal(100, cluster.MaxConnections);
        Assert.True(cluster.IgnoreHealthOnHostRemoval);
        Assert.True(cluster.CloseConnectionsOnHostHealthFailure);
        Assert.Equal("eds_c1.yaml", cluster.EdsConfig!.Path);
        Assert.Equal("c1", cluster.ExpectedEdsClusterName);
        Assert.Equal("cds.yaml", cluster.Location.File);
    }

    [Fact]
    public void Load_ClusterDefaults_MatchEnvoy()
    {
        using var files = new ConfigFiles().WriteDefaults();

        var cluster = files.Load().Snapshot!.Clusters.Single();

        Assert.Equal(TimeSpan.FromSeconds(5), cluster.ConnectTimeout);
        Assert.Equal(LbPolicy.RoundRobin, cluster.LbPolicy);
        Assert.Equal(50, cluster.HealthyPanicThreshold);
        Assert.Equal(1024, cluster.MaxConnections);
        Assert.Null(cluster.TcpKeepalive);
        Assert.Null(cluster.OutlierDetection);
        Assert.True(cluster.HealthChecks.IsEmpty);
    }

    [Theory]
    [InlineData("STRICT_DNS")]
    [InlineData("logical_dns")]
    [InlineData("ORIGINAL_DST")]
    public void Load_DnsClusterTypes_AreRefusedWithAFix(string type)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", ConfigFiles.ClusterFile().Replace("type: EDS", "type: " + type, StringComparison.Ordinal));

        var error = ProblemAssert.Error(files.Load(), "resources[0].type");

        Assert.StartsWith($"kubegate does not support cluster type {type.ToUpperInvariant()}", error.Message, StringComparison.Ordinal);
        Assert.Equal("use IP literals with STATIC or EDS", error.Fix);
    }

    [Theory]
    [InlineData("MAGLEV")]
    [InlineData("RING_HASH")]
    [InlineData("CLUSTER_PROVIDED")]
    public void Load_UnsupportedLbPolicy_ListsTheThreeSupported(string policy)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("lb_policy: " + policy);

        var error = ProblemAssert.Error(files.Load(), "resources[0].lb_policy");

        Assert.Equal($"kubegate supports lb_policy ROUND_ROBIN, LEAST_REQUEST and RANDOM; found {policy}", error.Message);
    }

    [Theory]
    [InlineData("RANDOM", "Random")]
    [InlineData("random", "Random")]
    [InlineData("least_request", "LeastRequest")]
    [InlineData("3", "Random")]
    [InlineData("0", "RoundRobin")]
    public void Load_LbPolicy_CaseInsensitiveOrNumeric(string written, string expected)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("lb_policy: " + written);

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.Equal(Enum.Parse<LbPolicy>(expected), result.Snapshot!.Clusters.Single().LbPolicy);
    }

    [Fact]
    public void Load_ChoiceCountBelowTwo_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("lb_policy: LEAST_REQUEST\nleast_request_lb_config: {choice_count: 1}");

        Assert.Equal("choice_count must be at least 2", ProblemAssert.Error(files.Load(), "resources[0].least_request_lb_config.choice_count").Message);
    }

    [Fact]
    public void Load_LeastRequestConfigWithoutLeastRequest_Warns()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("least_request_lb_config: {choice_count: 2}");

        ProblemAssert.Warning(files.Load(), "resources[0].least_request_lb_config");
    }

    [Fact]
    public void Load_ActiveRequestBiasAsBareNumber_IsARuntimeDoubleObject()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("lb_policy: LEAST_REQUEST\nleast_request_lb_config: {active_request_bias: 1.5}");

        var error = ProblemAssert.Error(files.Load(), "resources[0].least_request_lb_config.active_request_bias");

        Assert.Equal("write `active_request_bias: {default_value: 1.5, runtime_key: upstream.active_request_bias}`", error.Fix);
    }

    [Fact]
    public void Load_ConnectTimeoutZero_MustBePositive()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("connect_timeout: 0s");

        Assert.Equal("must be greater than 0s", ProblemAssert.Error(files.Load(), "resources[0].connect_timeout").Message);
    }

    [Fact]
    public void Load_StaticClusterWithoutLoadAssignment_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", $"resources:\n- {ConfigFiles.ClusterType}\n  name: c1\n  type: STATIC\n");

        Assert.Equal("a STATIC cluster needs load_assignment (its endpoints)", ProblemAssert.Error(files.Load(), "resources[0].load_assignment").Message);
    }

    [Fact]
    public void Load_StaticClusterWithLoadAssignment_BecomesAnAssignment()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", $$"""
            resources:
            - {{ConfigFiles.ClusterType}}
              name: c1
              load_assignment:
                cluster_name: whatever
                endpoints:
                - lb_endpoints:
                  - endpoint:
                      address:
                        socket_address: {address: 10.1.1.1, port_value: 6443}
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.Equal(DiscoveryType.Static, result.Snapshot!.Clusters.Single().Type);
        Assert.Equal("10.1.1.1:6443", result.Snapshot.Assignments["c1"].Endpoints.Single().Address.ToString());
        Assert.Equal(result.Snapshot.Clusters.Single().LoadAssignment, result.Snapshot.Assignments["c1"]);
    }

    [Fact]
    public void Load_EdsClusterWithoutEdsConfig_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", $"resources:\n- {ConfigFiles.ClusterType}\n  name: c1\n  type: EDS\n");

        var error = ProblemAssert.Error(files.Load(), "resources[0].eds_cluster_config");

        Assert.Equal("write eds_cluster_config: {eds_config: {path_config_source: {path: <eds file>}}}", error.Fix);
    }

    [Fact]
    public void Load_EdsServiceName_IsTheExpectedClusterName()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", ConfigFiles.ClusterFile().Replace("    eds_config:", "    service_name: apiservers\n    eds_config:", StringComparison.Ordinal));
        files.Write("eds_c1.yaml", ConfigFiles.Eds("apiservers", "10.0.0.1:6443"));

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.Equal("apiservers", result.Snapshot!.Clusters.Single().EdsServiceName);
        Assert.Equal("apiservers", result.Snapshot.Assignments["c1"].ClusterName);
    }

    [Fact]
    public void Load_EdsFileOfAClusterWithErrors_IsStillChecked()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("connect_timeout: 5");
        files.Write("eds_c1.yaml", ConfigFiles.Eds("c1", "apiserver.local:6443"));

        var result = files.Load();

        ProblemAssert.Error(result, "resources[0].connect_timeout");
        ProblemAssert.Single(result, "resources[0].endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address");
        Assert.DoesNotContain(result.Problems, p => p.Message.Contains("is not defined", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_DuplicateClusterNames_EnvoysMessage()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", "resources:\n" + ConfigFiles.Cluster("c1") + ConfigFiles.Cluster("c1"));

        Assert.Equal("duplicate cluster c1 found", ProblemAssert.Error(files.Load(), "resources[1]").Message);
    }

    [Fact]
    public void Load_DnsOptionsOnAnEdsCluster_AreAcceptedSilently()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("dns_lookup_family: V4_ONLY\nrespect_dns_ttl: true\ntyped_extension_protocol_options: {}\nmetadata: {filter_metadata: {envoy.lb: {canary: true}}}");

        ProblemAssert.Clean(files.Load());
    }

    [Fact]
    public void Load_ClusterFieldsKubegateIgnores_Warn()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("per_connection_buffer_limit_bytes: 32768\nupstream_bind_config: {source_address: {address: 10.0.0.5, port_value: 0}}");

        var result = files.Load();

        ProblemAssert.Warning(result, "resources[0].per_connection_buffer_limit_bytes");
        ProblemAssert.Warning(result, "resources[0].upstream_bind_config");
        Assert.NotNull(result.Snapshot);
    }

    [Fact]
    public void Load_LoadBalancingPolicy_IsRefused()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("load_balancing_policy: {policies: []}");

        Assert.Equal("use lb_policy: ROUND_ROBIN, LEAST_REQUEST or RANDOM", ProblemAssert.Error(files.Load(), "resources[0].load_balancing_policy").Fix);
    }

    [Fact]
    public void Load_TlsTransportSocketMatch_BindsTlsContextAndResolvesFiles()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("pki/ca.crt", "CA").Write("pki/client.crt", "CERT").Write("pki/client.key", "KEY");
        files.WriteCluster("""
            transport_socket_matches:
            - name: tls
              match: {tls: true}
              transport_socket:
                name: envoy.transport_sockets.tls
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                  sni: kubernetes.default.svc
                  common_tls_context:
                    alpn_protocols: [h2, http/1.1]
                    tls_certificates:
                    - certificate_chain: {filename: pki/client.crt}
                      private_key: {filename: pki/client.key}
                    validation_context:
                      trusted_ca: {filename: pki/ca.crt}
                      match_typed_subject_alt_names:
                      - san_type: DNS
                        matcher: {exact: kubernetes.default.svc}
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        var match = result.Snapshot!.Clusters.Single().TransportSocketMatches.Single();
        Assert.Equal("tls", match.Name);
        Assert.Equal("true", match.Match["tls"]);
        Assert.Equal("envoy.transport_sockets.tls", match.TransportSocket.Name);
        var tls = match.TransportSocket.Tls!;
        Assert.Equal("kubernetes.default.svc", tls.Sni);
        Assert.Equal(Path.Combine(files.Directory, "pki/ca.crt"), tls.TrustedCaFile);
        Assert.Equal(Path.Combine(files.Directory, "pki/client.crt"), tls.CertificateChainFile);
        Assert.Equal(Path.Combine(files.Directory, "pki/client.key"), tls.PrivateKeyFile);
        Assert.Equal(["h2", "http/1.1"], tls.AlpnProtocols);
        Assert.Equal(["kubernetes.default.svc"], tls.MatchSubjectAltNames);
    }

    [Fact]
    public void Load_TlsWithInlineCa_KeepsThePem()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            transport_socket_matches:
            - name: tls
              match: {tls: true}
              transport_socket:
                name: envoy.transport_sockets.tls
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                  common_tls_context:
                    validation_context:
                      trusted_ca: {inline_string: "-----BEGIN CERTIFICATE-----\n"}
            """);

        var tls = files.Load().Snapshot!.Clusters.Single().TransportSocketMatches.Single().TransportSocket.Tls!;

        Assert.Null(tls.TrustedCaFile);
        Assert.Equal("-----BEGIN CERTIFICATE-----\n", tls.TrustedCaPem);
    }

    [Fact]
    public void Load_MissingCertificateFile_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            transport_socket_matches:
            - name: tls
              match: {tls: true}
              transport_socket:
                name: envoy.transport_sockets.tls
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                  common_tls_context:
                    validation_context:
                      trusted_ca: {filename: /etc/kubernetes/pki/no-such-ca.crt}
            """);

        var error = ProblemAssert.Error(files.Load(), "resources[0].transport_socket_matches[0].transport_socket.typed_config.common_tls_context.validation_context.trusted_ca.filename");

        Assert.Equal("Invalid path: /etc/kubernetes/pki/no-such-ca.crt (trusted_ca file does not exist)", error.Message);
    }

    [Fact]
    public void Load_SubjectAltNamePrefixMatcher_IsRefused()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            transport_socket_matches:
            - name: tls
              match: {tls: true}
              transport_socket:
                name: envoy.transport_sockets.tls
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                  common_tls_context:
                    validation_context:
                      match_typed_subject_alt_names: [{san_type: DNS, matcher: {prefix: kube}}]
            """);

        var result = files.Load();

        Assert.Equal("write exact: <name>", ProblemAssert.Error(result, "resources[0].transport_socket_matches[0].transport_socket.typed_config.common_tls_context.validation_context.match_typed_subject_alt_names[0].matcher.prefix").Fix);
    }

    [Fact]
    public void Load_ClusterLevelTlsTransportSocket_WarnsAboutDoubleTls()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            transport_socket:
              name: envoy.transport_sockets.tls
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
            """);

        var result = files.Load();

        var warning = ProblemAssert.Warning(result, "resources[0].transport_socket");
        Assert.Contains("second TLS layer", warning.Message, StringComparison.Ordinal);
        Assert.NotNull(result.Snapshot!.Clusters.Single().TransportSocket!.Tls);
    }

    [Fact]
    public void Load_DownstreamTlsContextOnACluster_IsRefused()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            transport_socket:
              name: envoy.transport_sockets.tls
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
            """);

        var error = ProblemAssert.Error(files.Load(), "resources[0].transport_socket.typed_config.@type");

        Assert.Equal("write \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", error.Fix);
    }

    [Fact]
    public void Load_ClusterWithoutName_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", ConfigFiles.ClusterFile().Replace("  name: c1\n", string.Empty, StringComparison.Ordinal));

        Assert.Equal("missing required field 'name'", ProblemAssert.Error(files.Load(), "resources[0].name").Message);
    }
}
