using System.Net;
using BenchmarkDotNet.Attributes;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.LoadBalancing;

namespace Kubegate.Benchmarks;

/// <summary>
/// One <c>Pick</c> per operation over an <see cref="EndpointSet"/> of three hosts, for every lb_policy. A pick runs
/// on every accepted downstream connection, so it must not allocate: every row should show 0 B.
/// </summary>
/// <remarks>Benchmarks return <c>object?</c> because <see cref="EndpointState"/> is internal to Kubegate.</remarks>
[MemoryDiagnoser]
public class LoadBalancerBenchmarks
{
    private EndpointSet _equal = EndpointSet.Empty;
    private EndpointSet _weighted = EndpointSet.Empty;
    private RoundRobinLoadBalancer _roundRobin = new();
    private RoundRobinLoadBalancer _roundRobinWeighted = new();
    private LeastRequestLoadBalancer _leastRequest = new();
    private RandomLoadBalancer _random = new();

    [GlobalSetup]
    public void Setup()
    {
        _equal = new EndpointSet([Host(1, 1), Host(2, 1), Host(3, 1)]);
        _weighted = new EndpointSet([Host(1, 5), Host(2, 1), Host(3, 1)]);

        // Give P2C something to compare: different active connection counts per host.
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < i; j++)
            {
                _equal.Hosts[i].OnConnectStarted();
            }
        }

        _roundRobin = new RoundRobinLoadBalancer();
        _roundRobinWeighted = new RoundRobinLoadBalancer();
        _leastRequest = new LeastRequestLoadBalancer(choiceCount: 2);
        _random = new RandomLoadBalancer();

        // Build the weighted schedule (cached for the set's life) outside the measurement.
        _ = _weighted.WeightedSchedule;
    }

    [Benchmark(Baseline = true, Description = "RoundRobin, equal weights")]
    public object? RoundRobinEqual() => _roundRobin.Pick(_equal);

    [Benchmark(Description = "RoundRobin, weights 5:1:1")]
    public object? RoundRobinWeighted() => _roundRobinWeighted.Pick(_weighted);

    [Benchmark(Description = "LeastRequest (P2C), 3 hosts")]
    public object? LeastRequest() => _leastRequest.Pick(_equal);

    [Benchmark(Description = "Random")]
    public object? Random() => _random.Pick(_equal);

    private static EndpointState Host(byte lastOctet, uint weight) => new(new LbEndpointConfig
    {
        Address = new SocketAddressConfig(new IPAddress([10, 0, 0, lastOctet]), 6443),
        Weight = weight,
    });
}
