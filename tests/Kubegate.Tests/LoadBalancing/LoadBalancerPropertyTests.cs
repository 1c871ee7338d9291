using CsCheck;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.LoadBalancing;
using Kubegate.Stats;
using Kubegate.Tests.Clusters;

namespace Kubegate.Tests.LoadBalancing;

/// <summary>
/// Invariants of the balancers over generated host sets: weights respected over many picks (within bounds derived
/// below), no pick of a host that health excludes, and Envoy's panic rule. Each property runs a bounded number of
/// generated cases; a failure prints the CsCheck seed that replays it.
/// </summary>
public class LoadBalancerPropertyTests
{
    private const int Iterations = 100;

    // Statistical bounds: a count of n picks with probability p is Binomial(n, p); 6 standard deviations leave a
    // false failure probability below 2e-9 per host and case (one in about 10^6 runs of this whole class).
    private const double Sigmas = 6;

    private static readonly HealthFlags[] FlagChoices =
    [
        HealthFlags.None, HealthFlags.None, HealthFlags.None,
        HealthFlags.FailedActiveHc, HealthFlags.FailedOutlierCheck, HealthFlags.FailedEdsHealth, HealthFlags.EdsStatusDraining,
        HealthFlags.ExcludedViaImmediateHcFail | HealthFlags.FailedActiveHc, HealthFlags.ActiveHcTimeout | HealthFlags.FailedActiveHc,
        HealthFlags.DegradedActiveHc, HealthFlags.DegradedEdsHealth,
        HealthFlags.PendingDynamicRemoval, HealthFlags.PendingDynamicRemoval | HealthFlags.FailedActiveHc,

        // A host waiting for its first check always also carries FAILED_ACTIVE_HC (ClusterState's comment).
        HealthFlags.PendingActiveHc | HealthFlags.FailedActiveHc,
    ];

    private static readonly Gen<uint[]> Weights = Gen.UInt[1, 50].Array[1, 8];

    [Fact]
    public void RoundRobin_AnyWeights_EachPeriodExactAndEveryPrefixWithinTheSmoothBound()
    {
        Gen.Select(Weights, Gen.Int[1, 3000]).Sample((weights, picks) =>
        {
            var hosts = TestEndpoints.Hosts(weights);
            var set = TestEndpoints.Set(hosts);
            var balancer = new RoundRobinLoadBalancer();
            var reduced = Reduce(weights);
            var period = reduced.Sum();

            var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, picks);

            // Smooth weighted round robin keeps each host's running "current" value in (-T, (n-1)T] where T is the
            // total reduced weight (every step adds the weights, T in all, and takes T from the largest, which is
            // positive, so the sum stays 0 and no value reaches -T), and picks(i) = (m * w_i - current_i) / T after
            // m picks: so picks(i) lies in [m w_i / T - (n - 1), m w_i / T + 1), and is exact after whole periods.
            for (var i = 0; i < hosts.Length; i++)
            {
                var ideal = (double)picks * reduced[i] / period;
                Assert.InRange(counts[hosts[i]], ideal - (hosts.Length - 1) - 1e-9, ideal + 1 - 1e-9);
                if (picks % period == 0)
                {
                    Assert.Equal(picks / period * reduced[i], counts[hosts[i]]);
                }
            }
        }, iter: Iterations);
    }

    [Fact]
    public void LeastRequest_UnequalWeightsNoLoad_PicksFollowTheWeights()
    {
        const int picks = 4000;
        Gen.Select(Weights.Where(w => w.Distinct().Count() > 1), Gen.Int).Sample((weights, seed) =>
        {
            var hosts = TestEndpoints.Hosts(weights);
            var balancer = new LeastRequestLoadBalancer(random: new Random(seed));

            var counts = TestEndpoints.CountPicks(() => balancer.Pick(TestEndpoints.Set(hosts)), hosts, picks);

            var total = weights.Sum(w => (double)w);
            AssertBinomial(hosts, counts, picks, h => h.Weight / total);
        }, iter: Iterations);
    }

    [Theory]
    [InlineData(nameof(LbPolicy.Random))]
    [InlineData(nameof(LbPolicy.LeastRequest))]
    public void RandomAndLeastRequest_EqualWeightsNoLoad_PicksAreUniform(string policyName)
    {
        var policy = Enum.Parse<LbPolicy>(policyName);
        const int picks = 4000;
        Gen.Select(Gen.Int[1, 8], Gen.UInt[1, 50], Gen.Int).Sample((count, weight, seed) =>
        {
            var hosts = TestEndpoints.Hosts([.. Enumerable.Repeat(weight, count)]);
            var balancer = LoadBalancerFactory.Create(new ClusterConfig { Name = "c", LbPolicy = policy }, new Random(seed));

            var counts = TestEndpoints.CountPicks(() => balancer.Pick(TestEndpoints.Set(hosts)), hosts, picks);

            AssertBinomial(hosts, counts, picks, _ => 1.0 / count);
        }, iter: Iterations);
    }

    [Fact]
    public void ClusterPick_AnyHealth_NeverAnExcludedHostAndPanicUsesEveryHost()
    {
        var flags = Gen.Int[0, FlagChoices.Length - 1].Select(i => FlagChoices[i]).Array[1, 8];
        var policy = Gen.Int[0, 2].Select(i => (LbPolicy)i);
        var threshold = Gen.OneOf<double>(Gen.Const(0.0), Gen.Const(50.0), Gen.Const(100.0), Gen.Double[0, 100]);
        Gen.Select(flags, policy, threshold, Gen.Bool, Gen.Int).Sample((hostFlags, lbPolicy, panicThreshold, ignoreNewHosts, seed) =>
        {
            var config = new ClusterConfig { Name = "c", LbPolicy = lbPolicy, HealthyPanicThreshold = panicThreshold, IgnoreNewHostsUntilFirstHc = ignoreNewHosts };
            var endpoints = hostFlags.Select((_, i) => TestEndpoints.Config(10001 + i, weight: (uint)(1 + (i % 3)))).ToArray();
            var cluster = new ClusterState(config, new ClusterLoadAssignmentConfig { ClusterName = "c", Endpoints = [.. endpoints] }, new StatsStore(), LoadBalancerFactory.For(new Random(seed)));
            for (var i = 0; i < hostFlags.Length; i++)
            {
                cluster.AllHosts.Hosts[i].UpdateHealthFlags(hostFlags[i], HealthFlags.None);
            }

            cluster.RecomputeAvailability();

            // Envoy's rules, stated over the flags: a host waiting for its first check is excluded outright with
            // ignore_new_hosts_until_first_hc (even in panic, and not counted); of the rest, healthy hosts carry no
            // verdict flag, degraded ones only degraded flags; panic when (healthy + degraded) / hosts < threshold.
            var hosts = cluster.AllHosts.Hosts;
            var excluded = hosts.Where(h => ignoreNewHosts && h.HealthFlags.HasFlag(HealthFlags.PendingActiveHc)).ToHashSet();
            var counted = hosts.Where(h => !excluded.Contains(h)).ToList();
            var healthy = counted.Where(h => Verdict(h) == HealthFlags.None).ToHashSet();
            var degraded = counted.Where(h => Verdict(h) != HealthFlags.None && (Verdict(h) & ~DegradedFlags) == 0).ToHashSet();
            var panic = counted.Count > 0 && panicThreshold > 0 && (healthy.Count + degraded.Count) * 100.0 < panicThreshold * counted.Count;

            Assert.Equal(panic, cluster.InPanic);
            var picks = Enumerable.Range(0, 20 * hosts.Length).Select(_ => cluster.Pick()).ToList();
            if (panic)
            {
                // Panic: every counted host is available, whatever its health.
                Assert.Equal(counted.ToHashSet(), cluster.AvailableHosts.Hosts.ToHashSet());
            }
            else if (healthy.Count > 0)
            {
                Assert.All(picks, p => Assert.Contains(p!, healthy));
            }
            else if (degraded.Count > 0)
            {
                Assert.All(picks, p => Assert.Contains(p!, degraded));
            }
            else
            {
                Assert.All(picks, Assert.Null);
            }

            Assert.All(picks, p => Assert.True(p is null || !excluded.Contains(p), $"picked excluded host {p}"));
            if (lbPolicy == LbPolicy.RoundRobin && panic && counted.Count > 0 && counted.All(h => h.Weight == counted[0].Weight))
            {
                // Equal weights in panic: a rotation over all counted hosts, each once per round.
                Assert.Equal(counted.ToHashSet(), picks.Take(counted.Count).Select(p => p!).ToHashSet());
            }
        }, iter: 300);
    }

    private const HealthFlags DegradedFlags = HealthFlags.DegradedActiveHc | HealthFlags.DegradedEdsHealth;

    // Flags that are not a health verdict: pending removal keeps serving, pending-first-check comes with FAILED_ACTIVE_HC.
    private static HealthFlags Verdict(EndpointState host) =>
        host.HealthFlags & ~(HealthFlags.PendingDynamicRemoval | HealthFlags.PendingActiveHc);

    private static void AssertBinomial(EndpointState[] hosts, Dictionary<EndpointState, int> counts, int picks, Func<EndpointState, double> probability)
    {
        foreach (var host in hosts)
        {
            var p = probability(host);
            var sigma = Math.Sqrt(picks * p * (1 - p));
            Assert.InRange(counts[host], (picks * p) - (Sigmas * sigma) - 1, (picks * p) + (Sigmas * sigma) + 1);
        }
    }

    private static long[] Reduce(uint[] weights)
    {
        long gcd = 0;
        foreach (var w in weights)
        {
            gcd = Gcd(gcd, w);
        }

        return [.. weights.Select(w => w / gcd)];
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
