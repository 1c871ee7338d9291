using System.Collections.Immutable;
using System.Net;
using Kubegate.Configuration;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>Builds config snapshots in code: one listener on 127.0.0.1 port 0 per cluster, STATIC endpoints.</summary>
internal static class TestConfig
{
    public static SocketAddressConfig Loopback(int port = 0) => new(IPAddress.Loopback, port);

    public static ListenerConfig Listener(string name, string cluster, Func<TcpProxyConfig, TcpProxyConfig>? tcpProxy = null)
    {
        var proxy = new TcpProxyConfig { StatPrefix = name, Cluster = cluster };
        return new ListenerConfig
        {
            Name = name,
            Address = Loopback(),
            TcpProxy = tcpProxy is null ? proxy : tcpProxy(proxy),
        };
    }

    public static ClusterConfig Cluster(string name, Func<ClusterConfig, ClusterConfig>? configure = null)
    {
        var cluster = new ClusterConfig { Name = name, Type = DiscoveryType.Static };
        return configure is null ? cluster : configure(cluster);
    }

    public static ClusterLoadAssignmentConfig Assignment(string cluster, params IPEndPoint[] endpoints) => new()
    {
        ClusterName = cluster,
        Endpoints = [.. endpoints.Select(e => new LbEndpointConfig { Address = new SocketAddressConfig(e.Address, e.Port) })],
    };

    public static ConfigSnapshot Snapshot(IEnumerable<ListenerConfig> listeners, IEnumerable<ClusterConfig> clusters, IEnumerable<ClusterLoadAssignmentConfig> assignments) => new()
    {
        Bootstrap = new BootstrapConfig { Path = "test" },
        Listeners = [.. listeners],
        Clusters = [.. clusters],
        Assignments = assignments.ToDictionary(a => a.ClusterName, StringComparer.Ordinal).ToImmutableDictionary(StringComparer.Ordinal),
    };

    /// <summary>The common case: one listener "l" → cluster "c" with the given endpoints.</summary>
    public static ConfigSnapshot Simple(IPEndPoint[] endpoints, Func<TcpProxyConfig, TcpProxyConfig>? tcpProxy = null, Func<ClusterConfig, ClusterConfig>? cluster = null) =>
        Snapshot([Listener("l", "c", tcpProxy)], [Cluster("c", cluster)], [Assignment("c", endpoints)]);
}
