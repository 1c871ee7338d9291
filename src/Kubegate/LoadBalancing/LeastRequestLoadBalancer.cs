using Kubegate.Clusters;

namespace Kubegate.LoadBalancing;

/// <summary>
/// LEAST_REQUEST on active proxied connections. Equal weights: power of <c>choice_count</c> choices (distinct random
/// hosts, the one with the fewest active connections wins, the first on a tie). Unequal weights: a random pick
/// weighted by <c>weight / (active + 1) ^ active_request_bias</c>, Envoy's effective weight.
/// </summary>
internal sealed class LeastRequestLoadBalancer : ILoadBalancer
{
    // Above this many hosts the distinct-choice shuffle would need a heap buffer; sampling with replacement is
    // then statistically indistinguishable anyway.
    private const int MaxStackHosts = 256;

    private readonly Random _random;
    private readonly int _choiceCount;
    private readonly double _activeRequestBias;
    private readonly SlowStart? _slowStart;

    public LeastRequestLoadBalancer(int choiceCount = 2, double activeRequestBias = 1.0, Random? random = null, SlowStart? slowStart = null)
    {
        _slowStart = slowStart;
        ArgumentOutOfRangeException.ThrowIfLessThan(choiceCount, 2);
        _choiceCount = choiceCount;
        _activeRequestBias = activeRequestBias;
        _random = random ?? Random.Shared;
    }

    public EndpointState? Pick(EndpointSet hosts)
    {
        var count = hosts.Count;
        if (count <= 1)
        {
            return count == 0 ? null : hosts.Hosts[0];
        }

        if (_slowStart is { } slowStart)
        {
            // As in Envoy, a host in slow start makes the weights unequal: the weighted pick, with scaled weights.
            var now = slowStart.Now();
            if (slowStart.AnyInWindow(hosts.Hosts, now))
            {
                return PickWeighted(hosts.Hosts, slowStart, now);
            }
        }

        return hosts.EqualWeights ? PickOfChoices(hosts.Hosts) : PickWeighted(hosts.Hosts, null, 0);
    }

    private EndpointState PickOfChoices(EndpointState[] hosts)
    {
        var count = hosts.Length;
        var choices = Math.Min(_choiceCount, count);
        EndpointState? best = null;
        if (count <= MaxStackHosts)
        {
            // Partial Fisher-Yates over an index span: `choices` distinct hosts without allocating.
            Span<byte> order = stackalloc byte[count];
            for (var i = 0; i < count; i++)
            {
                order[i] = (byte)i;
            }

            for (var i = 0; i < choices; i++)
            {
                var j = i + _random.Next(count - i);
                (order[i], order[j]) = (order[j], order[i]);
                var candidate = hosts[order[i]];
                if (best is null || candidate.ActiveRequests < best.ActiveRequests)
                {
                    best = candidate;
                }
            }
        }
        else
        {
            for (var i = 0; i < choices; i++)
            {
                var candidate = hosts[_random.Next(count)];
                if (best is null || candidate.ActiveRequests < best.ActiveRequests)
                {
                    best = candidate;
                }
            }
        }

        return best!;
    }

    private EndpointState PickWeighted(EndpointState[] hosts, SlowStart? slowStart, long now) =>
        ProportionalPick.Pick(hosts, _random, new EffectiveWeight(slowStart, now, _activeRequestBias));

    /// <summary>Envoy's <c>weight / (active + 1) ^ bias</c>, the weight scaled by slow start first.</summary>
    private readonly struct EffectiveWeight(SlowStart? slowStart, long now, double activeRequestBias) : IHostWeight
    {
        public double Of(EndpointState host)
        {
            double weight = slowStart is null ? host.Weight : slowStart.Weight(host, now);
            var active = host.ActiveRequests;
            if (activeRequestBias == 0 || active <= 0)
            {
                return weight;
            }

            return activeRequestBias == 1.0 ? weight / (active + 1) : weight / Math.Pow(active + 1, activeRequestBias);
        }
    }
}
