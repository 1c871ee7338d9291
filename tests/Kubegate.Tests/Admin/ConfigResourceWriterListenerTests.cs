using System.Net;
using System.Text.Json;
using Kubegate.Admin;
using Kubegate.Configuration;

namespace Kubegate.Tests.Admin;

public class ConfigResourceWriterListenerTests
{
    [Fact]
    public void WriteListener_FilterChainsByServerName_DumpsMatchFiltersAndDefaultChain()
    {
        var rbac = new RbacConfig
        {
            StatPrefix = "guard",
            Rules = new RbacRulesConfig
            {
                Action = RbacAction.Deny,
                Policies = [new RbacPolicyConfig
                {
                    Name = "blocked",
                    Permissions = [new RbacMatchConfig { Kind = RbacMatchKind.Any }],
                    Principals = [new RbacMatchConfig { Kind = RbacMatchKind.Not, Children = [new RbacMatchConfig { Kind = RbacMatchKind.SourceIp, Cidr = new CidrRangeConfig(IPAddress.Parse("10.0.0.0"), 8) }] }],
                }],
            },
        };
        var prod = new FilterChainConfig
        {
            Name = "prod",
            Match = new FilterChainMatchConfig { ServerNames = ["prod.example", "*.prod.example"] },
            Filters = [rbac, new ConnectionLimitConfig { StatPrefix = "cap", MaxConnections = 5, Delay = TimeSpan.FromSeconds(1) }],
            TcpProxy = new TcpProxyConfig { StatPrefix = "prod", Cluster = "prod" },
            SniCluster = true,
        };
        var fallback = new FilterChainConfig { TcpProxy = new TcpProxyConfig { StatPrefix = "fallback", Cluster = "dev" } };
        var listener = new ListenerConfig
        {
            Name = "shared",
            Address = new SocketAddressConfig(IPAddress.Any, 6443),
            TcpProxy = prod.TcpProxy,
            FilterChains = [prod],
            DefaultFilterChain = fallback,
            TlsInspector = true,
            MaxConnectionsPerClient = 9,
        };

        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            ConfigResourceWriter.WriteListener(json, listener);
        }

        using var document = JsonDocument.Parse(stream.ToArray());
        var root = document.RootElement;
        Assert.Equal("15s", root.GetProperty("listener_filters_timeout").GetString());
        Assert.Equal(9, root.GetProperty("metadata").GetProperty("filter_metadata").GetProperty("kubegate").GetProperty("max_connections_per_client").GetInt32());
        var chain = root.GetProperty("filter_chains").EnumerateArray().Single();
        Assert.Equal(["prod.example", "*.prod.example"], chain.GetProperty("filter_chain_match").GetProperty("server_names").EnumerateArray().Select(e => e.GetString()));
        var filters = chain.GetProperty("filters").EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList();
        Assert.Equal(["envoy.filters.network.rbac", "envoy.filters.network.connection_limit", "envoy.filters.network.sni_cluster", "envoy.filters.network.tcp_proxy"], filters);
        var principal = chain.GetProperty("filters")[0].GetProperty("typed_config").GetProperty("rules").GetProperty("policies").GetProperty("blocked").GetProperty("principals")[0];
        Assert.Equal("10.0.0.0", principal.GetProperty("not_id").GetProperty("direct_remote_ip").GetProperty("address_prefix").GetString());
        Assert.Equal("dev", root.GetProperty("default_filter_chain").GetProperty("filters")[0].GetProperty("typed_config").GetProperty("cluster").GetString());
    }
}
