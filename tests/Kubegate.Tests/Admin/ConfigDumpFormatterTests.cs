using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using Kubegate.Admin;
using Kubegate.Configuration;

namespace Kubegate.Tests.Admin;

public class ConfigDumpFormatterTests
{
    private const string KeyPem = "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n";

    private static ConfigSnapshot Snapshot()
    {
        var cds = new ConfigSourceConfig("cds.yaml", "/etc/kubegate/cds.yaml", null);
        var lds = new ConfigSourceConfig("lds.yaml", "/etc/kubegate/lds.yaml", null);
        var eds = new ConfigSourceConfig("eds.yaml", "/etc/kubegate/eds.yaml", null);
        var staticCluster = new ClusterConfig
        {
            Name = "static_c",
            Type = DiscoveryType.Static,
            LoadAssignment = new ClusterLoadAssignmentConfig
            {
                ClusterName = "static_c",
                Endpoints = [new LbEndpointConfig { Address = new SocketAddressConfig(IPAddress.Loopback, 6443) }],
            },
        };
        var apiservers = new ClusterConfig
        {
            Name = "apiservers",
            Type = DiscoveryType.Eds,
            EdsConfig = eds,
            ConnectTimeout = TimeSpan.FromMilliseconds(250),
            LbPolicy = LbPolicy.LeastRequest,
            HealthChecks =
            [
                new HealthCheckConfig
                {
                    Timeout = TimeSpan.FromSeconds(1),
                    Interval = TimeSpan.FromSeconds(5),
                    UnhealthyThreshold = 3,
                    HealthyThreshold = 1,
                    Http = new HttpHealthCheckConfig { Path = "/readyz" },
                },
            ],
            TransportSocket = new TransportSocketConfig
            {
                Name = "envoy.transport_sockets.tls",
                Tls = new UpstreamTlsContextConfig
                {
                    Sni = "kubernetes",
                    TrustedCaFile = "/etc/kubegate/ca.crt",
                    CertificateChainFile = "/etc/kubegate/client.crt",
                    PrivateKeyFile = "/etc/kubegate/secret/client.key",
                },
            },
        };
        var inline = new ClusterConfig
        {
            Name = "inline",
            Type = DiscoveryType.Static,
            TransportSocket = new TransportSocketConfig
            {
                Name = "envoy.transport_sockets.tls",
                Tls = new UpstreamTlsContextConfig { CertificateChainPem = "-----BEGIN CERTIFICATE-----\nx\n", PrivateKeyPem = KeyPem, TrustedCaPem = KeyPem },
            },
        };
        var listener = new ListenerConfig
        {
            Name = "api",
            Address = new SocketAddressConfig(IPAddress.Any, 6443),
            TcpProxy = new TcpProxyConfig { StatPrefix = "api", Cluster = "apiservers" },
        };
        return new ConfigSnapshot
        {
            Bootstrap = new BootstrapConfig
            {
                Path = "envoy.yaml",
                NodeId = "n1",
                CdsConfig = cds,
                LdsConfig = lds,
                StaticClusters = [staticCluster, inline],
                Admin = new AdminConfig { Address = new SocketAddressConfig(IPAddress.Loopback, 9901), AccessLogPath = "/dev/null" },
            },
            Clusters = [staticCluster, inline, apiservers],
            Listeners = [listener],
            Assignments = ImmutableDictionary<string, ClusterLoadAssignmentConfig>.Empty.WithComparers(StringComparer.Ordinal).Add(
                "apiservers",
                new ClusterLoadAssignmentConfig
                {
                    ClusterName = "apiservers",
                    Endpoints = [new LbEndpointConfig { Address = new SocketAddressConfig(IPAddress.Parse("10.0.0.1"), 6443), Weight = 2 }],
                }),
            VersionInfo = ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal)
                .Add("/etc/kubegate/cds.yaml", "c1").Add("/etc/kubegate/lds.yaml", "l1").Add("/etc/kubegate/eds.yaml", "e1"),
        };
    }

    [Fact]
    public void Dump_EnvoyShape()
    {
        var configs = JsonDocument.Parse(ConfigDumpFormatter.Format(Snapshot(), includeEds: false)!).RootElement.GetProperty("configs");

        Assert.Equal(
            ["BootstrapConfigDump", "ClustersConfigDump", "ListenersConfigDump"],
            configs.EnumerateArray().Select(c => c.GetProperty("@type").GetString()!.Split('.')[^1]));
        Assert.Equal("n1", configs[0].GetProperty("bootstrap").GetProperty("node").GetProperty("id").GetString());

        var clusters = configs[1];
        Assert.Equal("c1", clusters.GetProperty("version_info").GetString());
        Assert.Equal(2, clusters.GetProperty("static_clusters").GetArrayLength());
        var dynamic = Assert.Single(clusters.GetProperty("dynamic_active_clusters").EnumerateArray());
        Assert.Equal("c1", dynamic.GetProperty("version_info").GetString());
        var cluster = dynamic.GetProperty("cluster");
        Assert.Equal("apiservers", cluster.GetProperty("name").GetString());
        Assert.Equal("EDS", cluster.GetProperty("type").GetString());
        Assert.Equal("0.25s", cluster.GetProperty("connect_timeout").GetString());
        Assert.Equal("LEAST_REQUEST", cluster.GetProperty("lb_policy").GetString());
        Assert.Equal("eds.yaml", cluster.GetProperty("eds_cluster_config").GetProperty("eds_config").GetProperty("path_config_source").GetProperty("path").GetString());
        var check = cluster.GetProperty("health_checks")[0];
        Assert.Equal("5s", check.GetProperty("interval").GetString());
        Assert.Equal("/readyz", check.GetProperty("http_health_check").GetProperty("path").GetString());
        Assert.Equal("kubernetes", cluster.GetProperty("transport_socket").GetProperty("typed_config").GetProperty("sni").GetString());

        var listener = Assert.Single(configs[2].GetProperty("dynamic_listeners").EnumerateArray());
        Assert.Equal("api", listener.GetProperty("name").GetString());
        var state = listener.GetProperty("active_state");
        Assert.Equal("l1", state.GetProperty("version_info").GetString());
        Assert.Equal(6443, state.GetProperty("listener").GetProperty("address").GetProperty("socket_address").GetProperty("port_value").GetInt32());
        var tcpProxy = state.GetProperty("listener").GetProperty("filter_chains")[0].GetProperty("filters")[0].GetProperty("typed_config");
        Assert.Equal("api", tcpProxy.GetProperty("stat_prefix").GetString());
        Assert.Equal("apiservers", tcpProxy.GetProperty("cluster").GetString());
    }

    [Fact]
    public void Dump_RedactsPrivateKeys()
    {
        var text = ConfigDumpFormatter.Format(Snapshot(), includeEds: true)!;

        Assert.DoesNotContain("client.key", text, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
        Assert.DoesNotContain("MIIEvQ", text, StringComparison.Ordinal);
        Assert.Contains("\"filename\": \"[redacted]\"", text, StringComparison.Ordinal);
        Assert.Contains("\"inline_string\": \"[redacted]\"", text, StringComparison.Ordinal);
        Assert.Contains("/etc/kubegate/client.crt", text, StringComparison.Ordinal);
    }

    [Fact]
    public void IncludeEds_AddsEndpointsBeforeListeners()
    {
        var configs = JsonDocument.Parse(ConfigDumpFormatter.Format(Snapshot(), includeEds: true)!).RootElement.GetProperty("configs");

        Assert.Equal(4, configs.GetArrayLength());
        var endpoints = configs[2];
        Assert.EndsWith("EndpointsConfigDump", endpoints.GetProperty("@type").GetString(), StringComparison.Ordinal);
        var config = Assert.Single(endpoints.GetProperty("dynamic_endpoint_configs").EnumerateArray());
        Assert.Equal("e1", config.GetProperty("version_info").GetString());
        var lbEndpoint = config.GetProperty("endpoint_config").GetProperty("endpoints")[0].GetProperty("lb_endpoints")[0];
        Assert.Equal(2, lbEndpoint.GetProperty("load_balancing_weight").GetInt32());
    }

    [Fact]
    public void Resource_OnlyThatList()
    {
        var configs = JsonDocument.Parse(ConfigDumpFormatter.Format(Snapshot(), includeEds: false, "dynamic_active_clusters")!).RootElement.GetProperty("configs");

        var only = Assert.Single(configs.EnumerateArray());
        Assert.Equal("type.googleapis.com/envoy.admin.v3.ClustersConfigDump.DynamicCluster", only.GetProperty("@type").GetString());
        Assert.Equal("apiservers", only.GetProperty("cluster").GetProperty("name").GetString());

        configs = JsonDocument.Parse(ConfigDumpFormatter.Format(Snapshot(), includeEds: false, "dynamic_listeners")!).RootElement.GetProperty("configs");
        Assert.Equal("api", Assert.Single(configs.EnumerateArray()).GetProperty("name").GetString());
        Assert.Null(ConfigDumpFormatter.Format(Snapshot(), includeEds: false, "nope"));
    }

    [Fact]
    public void Certs_DaysUntilExpiration()
    {
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var server = new Kubegate.Infrastructure.CertificateDetails("CN=kube-apiserver", "CN=ca", "0a1b", [], [], now.AddDays(-1), now.AddDays(10.5));
        var json = CertsFormatter.FormatJson([new CertView("c", "10.0.0.1:6443", server, null)], now);

        var cert = JsonDocument.Parse(json).RootElement.GetProperty("certificates")[0].GetProperty("cert_chain")[0];
        Assert.Equal("10", cert.GetProperty("days_until_expiration").GetString());
        Assert.Equal("0a1b", cert.GetProperty("serial_number").GetString());
        Assert.Equal("2026-01-11T12:00:00Z", cert.GetProperty("expiration_time").GetString());
        Assert.Equal(0, CertsFormatter.DaysUntilExpiration(now.AddDays(-1), now));
    }
}
