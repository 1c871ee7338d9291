using System.Net;
using Kubegate.Clusters;
using Kubegate.Configuration;

namespace Kubegate.Tests.Clusters;

/// <summary>Endpoint configs and states on 127.0.0.1 for balancer and cluster tests (nothing listens on them).</summary>
internal static class TestEndpoints
{
    public static LbEndpointConfig Config(int port, uint weight = 1, EndpointHealthStatus health = EndpointHealthStatus.Unknown) => new()
    {
        Address = new SocketAddressConfig(IPAddress.Loopback, port),
        Weight = weight,
        HealthStatus = health,
    };

    public static EndpointState Host(int port, uint weight = 1) => new(Config(port, weight));

    /// <summary>Hosts on ports 10001, 10002, ... with the given weights.</summary>
    public static EndpointState[] Hosts(params uint[] weights) => [.. weights.Select((w, i) => Host(10001 + i, w))];

    /// <summary><paramref name="count"/> hosts of weight 1.</summary>
    public static EndpointState[] Hosts(int count) => [.. Enumerable.Range(0, count).Select(i => Host(10001 + i))];

    public static EndpointSet Set(params EndpointState[] hosts) => new(hosts);

    /// <summary>Makes <paramref name="host"/> count <paramref name="active"/> active proxied connections.</summary>
    public static EndpointState WithActive(this EndpointState host, int active)
    {
        for (var i = 0; i < active; i++)
        {
            host.OnConnectStarted();
        }

        return host;
    }

    /// <summary>How often each host of <paramref name="hosts"/> was picked in <paramref name="picks"/> picks.</summary>
    public static Dictionary<EndpointState, int> CountPicks(Func<EndpointState?> pick, IEnumerable<EndpointState> hosts, int picks)
    {
        var counts = hosts.ToDictionary(h => h, _ => 0);
        for (var i = 0; i < picks; i++)
        {
            var host = pick() ?? throw new InvalidOperationException("the balancer returned no host");
            counts[host]++;
        }

        return counts;
    }
}
