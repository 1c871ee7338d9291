namespace Kubegate.Clusters;

/// <summary>
/// An immutable list of hosts a load balancer picks from (all hosts of a cluster, or the available ones). Built
/// on config or health changes and swapped whole, so a pick reads one consistent set without locks.
/// </summary>
internal sealed class EndpointSet
{
    // Bounds the round-robin schedule's length (and the memory it takes) whatever the weights; weights are
    // scaled down proportionally beyond it, which keeps the ratios to within 1 / MaxScheduleLength.
    internal const int MaxScheduleLength = 1 << 16;

    private int[]? _schedule;

    public EndpointSet(IReadOnlyList<EndpointState> hosts)
    {
        Hosts = [.. hosts];
        EqualWeights = true;
        for (var i = 1; i < Hosts.Length; i++)
        {
            if (Hosts[i].Weight != Hosts[0].Weight)
            {
                EqualWeights = false;
                break;
            }
        }
    }

    public static EndpointSet Empty { get; } = new([]);

    public EndpointState[] Hosts { get; }

    public int Count => Hosts.Length;

    /// <summary>True when every host has the same weight (then plain rotation and P2C apply).</summary>
    public bool EqualWeights { get; }

    /// <summary>
    /// The weighted round-robin order as indexes into <see cref="Hosts"/>: a smooth weighted round robin over one
    /// period, so heavier hosts appear proportionally often and evenly spread (weights 5:1:1 give
    /// a a b a c a a, not a a a a a b c). Built on first use and cached for the life of the set.
    /// </summary>
    public int[] WeightedSchedule => _schedule ?? Interlocked.CompareExchange(ref _schedule, BuildSchedule(), null) ?? _schedule!;

    private int[] BuildSchedule()
    {
        var n = Hosts.Length;
        var weights = new long[n];
        long gcd = 0;
        for (var i = 0; i < n; i++)
        {
            weights[i] = Math.Max(1, Hosts[i].Weight);
            gcd = Gcd(gcd, weights[i]);
        }

        long total = 0;
        for (var i = 0; i < n; i++)
        {
            weights[i] /= gcd;
            total += weights[i];
        }

        if (total > MaxScheduleLength)
        {
            long scaledTotal = 0;
            for (var i = 0; i < n; i++)
            {
                weights[i] = Math.Max(1, weights[i] * MaxScheduleLength / total);
                scaledTotal += weights[i];
            }

            total = scaledTotal;
        }

        var schedule = new int[total];
        var current = new long[n];
        for (var step = 0; step < total; step++)
        {
            var best = 0;
            for (var i = 0; i < n; i++)
            {
                current[i] += weights[i];
                if (current[i] > current[best])
                {
                    best = i;
                }
            }

            current[best] -= total;
            schedule[step] = best;
        }

        return schedule;
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
