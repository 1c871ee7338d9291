using System.Net;
using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration.Binding;

public class ListenerBinderTests
{
    private const string ProxyPath = "resources[0].filter_chains[0].filters[0].typed_config";

    [Fact]
    public void Load_Listener_BindsEveryField()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", $$"""
            version_info: "7"
            resources:
            - {{ConfigFiles.ListenerType}}
              name: api
              stat_prefix: api_listener
              tcp_backlog_size: 512
              address:
                socket_address: {address: "::", port_value: 6443}
              listener_filters:
              - name: envoy.filters.listener.tls_inspector
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector
              filter_chains:
              - filters:
                - name: envoy.filters.network.tcp_proxy
                  typed_config:
                    {{ConfigFiles.TcpProxyType}}
                    stat_prefix: api
                    cluster: c1
                    idle_timeout: 0s
                    max_connect_attempts: 3
                    max_downstream_connection_duration: 3600s
                    access_log_options:
                      access_log_flush_interval: 60s
                      flush_access_log_on_connected: true
                      flush_access_log_on_start: true
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        var listener = result.Snapshot!.Listeners.Single();
        Assert.Equal("api", listener.Name);
        Assert.Equal(new SocketAddressConfig(IPAddress.IPv6Any, 6443), listener.Address);
        Assert.Equal("api_listener", listener.StatPrefix);
        Assert.Equal("listener.api_listener.", listener.StatScope);
        Assert.Equal(512, listener.TcpBacklogSize);
        Assert.Equal(files.LineOf("lds.yaml", "- \"@type\""), listener.Location.Line);
        Assert.Equal("lds.yaml", listener.Location.File);
        var proxy = listener.TcpProxy;
        Assert.Equal("api", proxy.StatPrefix);
        Assert.Equal("c1", proxy.Cluster);
        Assert.Equal(TimeSpan.Zero, proxy.IdleTimeout);
        Assert.Equal(3, proxy.MaxConnectAttempts);
        Assert.Equal(TimeSpan.FromHours(1), proxy.MaxDownstreamConnectionDuration);
        Assert.Equal(new AccessLogOptionsConfig { FlushInterval = TimeSpan.FromMinutes(1), FlushOnConnected = true, FlushOnStart = true }, proxy.AccessLogOptions);
        Assert.Equal("7", result.Snapshot.VersionInfo[Path.Combine(files.Directory, "lds.yaml")]);
    }

    [Fact]
    public void Load_TcpProxyDefaults_MatchEnvoy()
    {
        using var files = new ConfigFiles().WriteDefaults();

        var proxy = files.Load().Snapshot!.Listeners.Single().TcpProxy;

        Assert.Equal(TimeSpan.FromHours(1), proxy.IdleTimeout);
        Assert.Equal(1, proxy.MaxConnectAttempts);
        Assert.Null(proxy.MaxDownstreamConnectionDuration);
        Assert.Null(proxy.AccessLogOptions);
        Assert.True(proxy.AccessLog.IsEmpty);
    }

    [Fact]
    public void Load_TwoFilterChainsWithTheSameMatch_RefusedNamingBothLines()
    {
        using var files = new ConfigFiles().WriteDefaults();
        var listener = ConfigFiles.Listener("l1", 6443, "c1");
        var chain = listener[listener.IndexOf("  - filters:", StringComparison.Ordinal)..];
        files.Write("lds.yaml", ConfigFiles.Lds(listener + chain));

        var result = files.Load();

        var error = ProblemAssert.Error(result, "resources[0].filter_chains[1].filter_chain_match");
        var first = files.LineOf("lds.yaml", "- filters:", 1);
        var second = files.LineOf("lds.yaml", "- filters:", 2);
        Assert.Equal(second, error.Line);
        Assert.Contains($"resources[0].filter_chains[0] (lds.yaml:{first})", error.Message, StringComparison.Ordinal);
        Assert.Contains($"resources[0].filter_chains[1] (lds.yaml:{second})", error.Message, StringComparison.Ordinal);
        Assert.Contains("multiple filter chains with the same matching rules", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OverlappingServerNames_RefusedAtTheSharedName()
    {
        using var files = new ConfigFiles().WriteDefaults();
        var a = ConfigFiles.Listener("l1", 6443, "c1").Replace("  - filters:", "  - filter_chain_match: {server_names: [a.example, b.example]}\n    filters:", StringComparison.Ordinal);
        var b = a[a.IndexOf("  - filter_chain_match", StringComparison.Ordinal)..].Replace("a.example", "c.example", StringComparison.Ordinal);
        files.Write("lds.yaml", ConfigFiles.Lds(a + b));

        var error = ProblemAssert.Error(files.Load(), "resources[0].filter_chains[1].filter_chain_match");

        Assert.Contains("server name b.example", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoFilterChains_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", $$"""
            resources:
            - {{ConfigFiles.ListenerType}}
              name: l1
              address:
                socket_address: {address: 0.0.0.0, port_value: 6443}
            """);

        var error = ProblemAssert.Error(files.Load(), "resources[0].filter_chains");

        Assert.StartsWith("this listener has no filter chain", error.Message, StringComparison.Ordinal);
        Assert.Contains("envoy.filters.network.tcp_proxy", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FilterChainsWithMatchAndDefault_BindEnvoysFields()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", $$"""
            resources:
            - {{ConfigFiles.ListenerType}}
              name: l1
              address:
                socket_address: {address: 0.0.0.0, port_value: 6443}
              listener_filters:
              - name: envoy.filters.listener.tls_inspector
              listener_filters_timeout: 2s
              continue_on_listener_filters_timeout: true
              metadata:
                filter_metadata:
                  kubegate:
                    max_connections_per_client: 3
                  other:
                    x: 1
              filter_chains:
              - name: prod
                filter_chain_match:
                  destination_port: 6443
                  server_names: [prod.example, "*.prod.example"]
                  transport_protocol: tls
                  application_protocols: [h2]
                filters:
                - name: envoy.filters.network.sni_cluster
                  typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.sni_cluster.v3.SniCluster}
                - name: envoy.filters.network.tcp_proxy
                  typed_config:
                    {{ConfigFiles.TcpProxyType}}
                    stat_prefix: prod
                    cluster: c1
              default_filter_chain:
                filters:
                - name: envoy.filters.network.tcp_proxy
                  typed_config:
                    {{ConfigFiles.TcpProxyType}}
                    stat_prefix: fallback
                    cluster: c1
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        var listener = result.Snapshot!.Listeners.Single();
        Assert.True(listener.TlsInspector);
        Assert.Equal(TimeSpan.FromSeconds(2), listener.ListenerFiltersTimeout);
        Assert.True(listener.ContinueOnListenerFiltersTimeout);
        Assert.Equal(3, listener.MaxConnectionsPerClient);
        var chain = Assert.Single(listener.FilterChains);
        Assert.Equal("prod", chain.Name);
        Assert.True(chain.SniCluster);
        Assert.Equal(6443, chain.Match.DestinationPort);
        Assert.Equal(["prod.example", "*.prod.example"], chain.Match.ServerNames);
        Assert.Equal("tls", chain.Match.TransportProtocol);
        Assert.Equal(["h2"], chain.Match.ApplicationProtocols);
        Assert.Equal("fallback", listener.DefaultFilterChain!.TcpProxy.StatPrefix);
        Assert.Equal("prod", listener.TcpProxy.StatPrefix);
        Assert.Equal(["prod", "fallback"], listener.AllFilterChains.Select(c => c.TcpProxy.StatPrefix));
    }

    [Fact]
    public void Load_ListenerFiltersTimeoutDefault_IsEnvoys15Seconds()
    {
        using var files = new ConfigFiles().WriteDefaults();

        var listener = files.Load().Snapshot!.Listeners.Single();

        Assert.Equal(TimeSpan.FromSeconds(15), listener.ListenerFiltersTimeout);
        Assert.False(listener.ContinueOnListenerFiltersTimeout);
        Assert.False(listener.TlsInspector);
    }

    [Fact]
    public void Load_PartialWildcardServerName_IsRefusedAsInEnvoy()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1").Replace("  - filters:", "  - filter_chain_match: {server_names: [\"api.*.example\"]}\n    filters:", StringComparison.Ordinal)));

        var error = ProblemAssert.Error(files.Load(), "resources[0].filter_chains[0].filter_chain_match.server_names[0]");

        Assert.Contains("partial wildcards are not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ServerNamesWithoutTlsInspector_WarnsTheChainNeverMatches()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1").Replace("  - filters:", "  - filter_chain_match: {server_names: [a.example]}\n    filters:", StringComparison.Ordinal)));

        var warning = ProblemAssert.Warning(files.Load(), "resources[0].filter_chains");

        Assert.Contains("no tls_inspector", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OtherNetworkFilter_IsRefusedByName()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", $$"""
            resources:
            - {{ConfigFiles.ListenerType}}
              name: l1
              address:
                socket_address: {address: 0.0.0.0, port_value: 6443}
              filter_chains:
              - filters:
                - name: envoy.filters.network.http_connection_manager
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                    stat_prefix: http
            """);

        var error = ProblemAssert.Error(files.Load(), "resources[0].filter_chains[0].filters[0].typed_config.@type");

        Assert.Equal(
            "kubegate does not implement the network filter 'envoy.filters.network.http_connection_manager' (envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager)",
            error.Message);
    }

    [Fact]
    public void Load_ProtectionFilters_BindInOrderBeforeTcpProxy()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1").Replace(
            "  - filters:\n",
            """
              - filters:
                - name: envoy.filters.network.rbac
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC
                    stat_prefix: guard
                    rules:
                      action: DENY
                      policies:
                        blocked: {permissions: [{any: true}], principals: [{direct_remote_ip: {address_prefix: 127.0.0.2, prefix_len: 32}}]}
                - name: envoy.filters.network.connection_limit
                  typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit, stat_prefix: cap, max_connections: 2, delay: 0.5s}
                - name: envoy.filters.network.local_ratelimit
                  typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit, stat_prefix: rate, token_bucket: {max_tokens: 5, fill_interval: 1s}}

            """.ReplaceLineEndings("\n"),
            StringComparison.Ordinal)));

        var result = files.Load();

        ProblemAssert.Clean(result);
        var filters = result.Snapshot!.Listeners.Single().FilterChains.Single().Filters;
        var rbac = Assert.IsType<RbacConfig>(filters[0]);
        Assert.Equal(RbacAction.Deny, rbac.Rules!.Action);
        var principal = rbac.Rules.Policies.Single().Principals.Single();
        Assert.Equal(RbacMatchKind.SourceIp, principal.Kind);
        Assert.True(principal.Cidr!.Contains(IPAddress.Parse("127.0.0.2")));
        Assert.False(principal.Cidr.Contains(IPAddress.Parse("127.0.0.1")));
        var limit = Assert.IsType<ConnectionLimitConfig>(filters[1]);
        Assert.Equal(2, limit.MaxConnections);
        Assert.Equal(TimeSpan.FromMilliseconds(500), limit.Delay);
        var rate = Assert.IsType<LocalRateLimitConfig>(filters[2]);
        Assert.Equal(5, rate.MaxTokens);
        Assert.Equal(1, rate.TokensPerFill);
        Assert.Equal(TimeSpan.FromSeconds(1), rate.FillInterval);
    }

    [Fact]
    public void Load_FilterAfterTcpProxy_IsRefused()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1") + "    - name: envoy.filters.network.connection_limit\n      typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit, stat_prefix: x, max_connections: 1}\n"));

        var error = ProblemAssert.Error(files.Load(), "resources[0].filter_chains[0].filters[0]");

        Assert.Contains("must be the last filter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ConnectionLimitWithoutMax_NamesTheField()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1").Replace(
            "  - filters:\n",
            "  - filters:\n    - name: envoy.filters.network.connection_limit\n      typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit, stat_prefix: x}\n",
            StringComparison.Ordinal)));

        var error = ProblemAssert.Error(files.Load(), "resources[0].filter_chains[0].filters[0].typed_config.max_connections");

        Assert.Equal("missing required field 'max_connections'", error.Message);
    }

    [Fact]
    public void Load_ListenerFilterOtherThanTlsInspector_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1") + "  listener_filters:\n  - name: envoy.filters.listener.tls_inspector\n  - name: envoy.filters.listener.proxy_protocol\n    typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.listener.proxy_protocol.v3.ProxyProtocol}\n"));

        var result = files.Load();

        Assert.StartsWith("kubegate supports only the tls_inspector listener filter", ProblemAssert.Error(result, "resources[0].listener_filters[1]").Message, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Problems, p => p.Path == "resources[0].listener_filters[0]");
    }

    [Fact]
    public void Load_MissingStatPrefix_IsRequired()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1").Replace("        stat_prefix: l1\n", string.Empty, StringComparison.Ordinal)));

        var error = ProblemAssert.Error(files.Load(), ProxyPath + ".stat_prefix");

        Assert.Equal("missing required field 'stat_prefix' (min length 1)", error.Message);
        Assert.StartsWith("add stat_prefix: l1", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ClusterAndWeightedClusters_IsAOneofConflictNamingBoth()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1", "weighted_clusters: {clusters: [{name: c1, weight: 1}]}")));

        var error = ProblemAssert.Error(files.Load(), ProxyPath);

        Assert.Equal("'cluster' and 'weighted_clusters' are both set; they are alternatives (oneof cluster_specifier)", error.Message);
        Assert.Equal(files.LineOf("lds.yaml", "weighted_clusters"), error.Line);
    }

    [Fact]
    public void Load_NoClusterSpecifier_IsRequired()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1").Replace("        cluster: c1\n", string.Empty, StringComparison.Ordinal)));

        var error = ProblemAssert.Error(files.Load(), ProxyPath + ".cluster");

        Assert.Equal("tcp_proxy needs 'cluster' or 'weighted_clusters' (oneof cluster_specifier is required)", error.Message);
    }

    [Fact]
    public void Load_WeightedClusters_AreBound()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("cds.yaml", "resources:\n" + ConfigFiles.Cluster("c1") + ConfigFiles.Cluster("c2"));
        files.Write("eds_c2.yaml", ConfigFiles.Eds("c2", "10.0.0.2:6443"));
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1").Replace("        cluster: c1\n", "        weighted_clusters:\n          clusters:\n          - {name: c1, weight: 3}\n          - {name: c2, weight: 1}\n", StringComparison.Ordinal)));

        var result = files.Load();

        ProblemAssert.Clean(result);
        var proxy = result.Snapshot!.Listeners.Single().TcpProxy;
        Assert.Null(proxy.Cluster);
        Assert.Equal([new WeightedClusterConfig("c1", 3), new WeightedClusterConfig("c2", 1)], proxy.WeightedClusters.ToList());
    }

    [Fact]
    public void Load_WeightedClusterWeightZero_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1").Replace("        cluster: c1\n", "        weighted_clusters: {clusters: [{name: c1, weight: 0}]}\n", StringComparison.Ordinal)));

        Assert.Equal("weight must be at least 1", ProblemAssert.Error(files.Load(), ProxyPath + ".weighted_clusters.clusters[0].weight").Message);
    }

    [Fact]
    public void Load_MaxConnectAttemptsZero_MustBeAtLeastOne()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1", "max_connect_attempts: 0")));

        Assert.Equal("max_connect_attempts must be at least 1", ProblemAssert.Error(files.Load(), ProxyPath + ".max_connect_attempts").Message);
    }

    [Fact]
    public void Load_TcpProxyClusterNotDefined_IsOnlyAWarning()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "missing")));

        var result = files.Load();

        var warning = ProblemAssert.Warning(result, ProxyPath + ".cluster");
        Assert.Equal(files.LineOf("lds.yaml", "cluster: missing"), warning.Line);
        Assert.Contains("response flag NC", warning.Message, StringComparison.Ordinal);
        Assert.Equal("missing", result.Snapshot!.Listeners.Single().TcpProxy.Cluster);
    }

    [Fact]
    public void Load_DuplicateListenerNames_EnvoysMessage()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1"), ConfigFiles.Listener("l1", 6444, "c1")));

        var error = ProblemAssert.Error(files.Load(), "resources[1]");

        Assert.Equal("duplicate listener l1 found", error.Message);
        Assert.Equal(files.LineOf("lds.yaml", "- \"@type\"", 2), error.Line);
    }

    [Fact]
    public void Load_TwoListenersOnOnePort_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1"), ConfigFiles.Listener("l2", 6443, "c1")));

        var error = ProblemAssert.Error(files.Load(), "resources[1].address");

        Assert.Equal("listener 'l2' has duplicate address '0.0.0.0:6443' as existing listener 'l1'", error.Message);
    }

    [Fact]
    public void Load_StaticAndDynamicListenerWithOneName_IsADuplicate()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap + "\nstatic_resources:\n  listeners:\n" + ConfigFiles.Listener("l1", 7000, "c1").Replace("- \"@type\": type.googleapis.com/envoy.config.listener.v3.Listener\n  ", "  - ", StringComparison.Ordinal).Replace("\n  ", "\n    ", StringComparison.Ordinal));

        var error = ProblemAssert.Error(files.Load(), "resources[0]");

        Assert.Equal("lds.yaml", error.File);
        Assert.Equal("duplicate listener l1 found", error.Message);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("10.0.1")]
    [InlineData("[::1]")]
    [InlineData("0.0.0.0:6443")]
    public void Load_ListenerAddressNotAnIpLiteral_IsMalformed(string address)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1", address: $"\"{address}\"")));

        var error = ProblemAssert.Error(files.Load(), "resources[0].address.socket_address.address");

        Assert.Equal($"malformed IP address: {address}", error.Message);
        Assert.StartsWith("a listener binds an IP literal", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PortAbove65535_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 70000, "c1")));

        Assert.Equal("port_value must be at most 65535, found 70000", ProblemAssert.Error(files.Load(), "resources[0].address.socket_address.port_value").Message);
    }

    [Fact]
    public void Load_PortZero_IsAcceptedWithAWarningAsInEnvoy()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 0, "c1")));

        var result = files.Load();

        ProblemAssert.Warning(result, "resources[0].address.socket_address.port_value");
        Assert.Equal(0, result.Snapshot!.Listeners.Single().Address.Port);
    }

    [Fact]
    public void Load_ListenerWithoutName_IsNamedAfterItsAddress()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1").Replace("  name: l1\n", string.Empty, StringComparison.Ordinal)));

        var result = files.Load();

        ProblemAssert.Warning(result, "resources[0].name");
        Assert.Equal("0.0.0.0:6443", result.Snapshot!.Listeners.Single().Name);
    }

    [Fact]
    public void Load_HarmlessEnvoyListenerFields_AcceptedWithWarningsWhereTheyWouldMatter()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1") + "  traffic_direction: INBOUND\n  per_connection_buffer_limit_bytes: 32768\n  metadata: {filter_metadata: {other_tool: {x: 1}}}\n"));

        var result = files.Load();

        Assert.Equal("ignored by kubegate: kubegate sizes its own relay buffers", ProblemAssert.Warning(result, "resources[0].per_connection_buffer_limit_bytes").Message);
        Assert.Single(result.Problems);
    }

    [Fact]
    public void Load_UnsupportedListenerField_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1") + "  additional_addresses: [{address: {socket_address: {address: \"::\", port_value: 6443}}}]\n"));

        var error = ProblemAssert.Error(files.Load(), "resources[0].additional_addresses");

        Assert.Equal("kubegate binds one address per listener", error.Message);
        Assert.Equal("define one listener per address", error.Fix);
    }

    [Fact]
    public void Load_UnknownListenerField_WarnsInTheDynamicFile()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1") + "  statPrefx: x\n"));

        var result = files.Load();

        var warning = ProblemAssert.Warning(result, "resources[0].statPrefx");
        Assert.True(warning.IsUnknownField);
        Assert.Equal("lds.yaml", warning.File);
        Assert.Equal(files.LineOf("lds.yaml", "statPrefx"), warning.Line);
        Assert.Equal("unknown field 'statPrefx' in envoy.config.listener.v3.Listener is ignored (as Envoy does for dynamic resources)", warning.Message);
        Assert.Equal("did you mean 'stat_prefix'?", warning.Fix);
        Assert.NotNull(result.Snapshot);
    }

    [Fact]
    public void Load_UnknownListenerFieldWithRejectFlag_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1") + "  bogus: 1\n"));

        var result = files.Load(rejectUnknownDynamicFields: true);

        var error = ProblemAssert.Error(result, "resources[0].bogus");
        Assert.True(error.IsUnknownField);
        Assert.EndsWith("(rejected because of --reject-unknown-dynamic-fields)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TypedConfigWithWrongType_NamesTheExpectedOne()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1").Replace("tcp_proxy.v3.TcpProxy", "tcp_proxy.v2.TcpProxy", StringComparison.Ordinal)));

        var error = ProblemAssert.Error(files.Load(), ProxyPath + ".@type");

        Assert.StartsWith("write \"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", error.Fix, StringComparison.Ordinal);
        Assert.Contains("tcp_proxy.v2.TcpProxy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TypedConfigWithoutType_NeedsOne()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1").Replace("        " + ConfigFiles.TcpProxyType + "\n", string.Empty, StringComparison.Ordinal)));

        var error = ProblemAssert.Error(files.Load(), ProxyPath);

        Assert.Equal("missing \"@type\": a typed_config names its message type", error.Message);
        Assert.Equal("write \"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", error.Fix);
    }

    [Fact]
    public void Load_DeprecatedTcpProxyFlushFields_MapToAccessLogOptions()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1", "access_log_flush_interval: 10s\nflush_access_log_on_connected: true")));

        var result = files.Load();

        ProblemAssert.Warning(result, ProxyPath + ".access_log_flush_interval");
        ProblemAssert.Warning(result, ProxyPath + ".flush_access_log_on_connected");
        Assert.Equal(
            new AccessLogOptionsConfig { FlushInterval = TimeSpan.FromSeconds(10), FlushOnConnected = true },
            result.Snapshot!.Listeners.Single().TcpProxy.AccessLogOptions);
    }

    [Fact]
    public void Load_TcpProxyFieldsOutsideTheSubset_WarnOrFail()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 6443, "c1", "backoff_options: {base_interval: 0.1s}\nhash_policy: [{source_ip: {}}]")));

        var result = files.Load();

        Assert.StartsWith("ignored by kubegate", ProblemAssert.Warning(result, ProxyPath + ".backoff_options").Message, StringComparison.Ordinal);
        Assert.Equal("kubegate does not support hash-based endpoint selection", ProblemAssert.Error(result, ProxyPath + ".hash_policy").Message);
    }
}
