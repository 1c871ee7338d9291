using System.Globalization;

namespace Kubegate.Stats;

/// <summary>
/// A lock-free fixed-bucket histogram of millisecond values (Envoy's default bucket bounds). Recording is one
/// interlocked increment of the bucket plus one interlocked add to the sum; reading copies the buckets. Quantiles
/// are approximated from the buckets (linear within a bucket), cumulative only: there are no flush intervals.
/// </summary>
internal sealed class Histogram
{
    /// <summary>Envoy's default histogram bucket upper bounds, in ms; a final +Inf bucket follows.</summary>
    public static readonly double[] DefaultBounds =
        [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    /// <summary>The quantiles <c>/stats</c> prints (percent), as Envoy's supported_quantiles.</summary>
    public static readonly double[] SupportedQuantiles = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100];

    private readonly long[] _buckets = new long[DefaultBounds.Length + 1];
    private long _sum;

    public Histogram(string name) => Name = name;

    public string Name { get; }

    /// <summary>True once a value was recorded (<c>?usedonly</c>).</summary>
    public bool Used => Count > 0;

    public long Count
    {
        get
        {
            long count = 0;
            for (var i = 0; i < _buckets.Length; i++)
            {
                count += Volatile.Read(ref _buckets[i]);
            }

            return count;
        }
    }

    /// <summary>Records one value (ms; negative values count as 0).</summary>
    public void Record(long milliseconds)
    {
        if (milliseconds < 0)
        {
            milliseconds = 0;
        }

        Interlocked.Increment(ref _buckets[BucketIndex(milliseconds)]);
        Interlocked.Add(ref _sum, milliseconds);
    }

    /// <summary>The index of the bucket a value falls into: the first bound the value is at most.</summary>
    public static int BucketIndex(double value)
    {
        var bounds = DefaultBounds;
        for (var i = 0; i < bounds.Length; i++)
        {
            if (value <= bounds[i])
            {
                return i;
            }
        }

        return bounds.Length;
    }

    public HistogramSnapshot Snapshot()
    {
        var counts = new long[_buckets.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = Volatile.Read(ref _buckets[i]);
        }

        return new HistogramSnapshot(Name, counts, Volatile.Read(ref _sum));
    }
}

/// <summary>One histogram read at a point in time: per-bucket (disjoint) counts, the last one +Inf, and the sum.</summary>
internal sealed record HistogramSnapshot(string Name, long[] BucketCounts, long Sum)
{
    public long Count => BucketCounts.Sum();

    /// <summary>
    /// The approximate value at <paramref name="percent"/> (0–100): the bucket holding that rank, interpolated
    /// linearly between its bounds (the +Inf bucket answers its lower bound). NaN when nothing was recorded.
    /// </summary>
    public double Quantile(double percent)
    {
        var count = Count;
        if (count == 0)
        {
            return double.NaN;
        }

        var bounds = Histogram.DefaultBounds;
        var rank = percent / 100.0 * count;
        long cumulative = 0;
        for (var i = 0; i < BucketCounts.Length; i++)
        {
            var inBucket = BucketCounts[i];
            if (inBucket == 0)
            {
                continue;
            }

            if (cumulative + inBucket >= rank)
            {
                var lower = i == 0 ? 0 : bounds[i - 1];
                if (i == bounds.Length)
                {
                    return lower;
                }

                var upper = bounds[i];
                var fraction = Math.Clamp((rank - cumulative) / inBucket, 0, 1);
                return lower + ((upper - lower) * fraction);
            }

            cumulative += inBucket;
        }

        return bounds[^1];
    }

    /// <summary>A number as <c>/stats</c> and Prometheus print it (invariant, shortest round-trip form).</summary>
    public static string FormatNumber(double value) =>
        double.IsNaN(value) ? "nan"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : Math.Round(value, 6).ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Picks histograms for <c>/stats</c>: the same <c>?filter=</c> and <c>?usedonly</c> rules as other stats, by name.</summary>
internal static class HistogramSelection
{
    public static List<HistogramSnapshot> Select(StatsStore store, System.Text.RegularExpressions.Regex? filter, bool usedOnly)
    {
        var result = new List<HistogramSnapshot>();
        foreach (var histogram in store.Histograms)
        {
            if ((!usedOnly || histogram.Used) && (filter is null || filter.IsMatch(histogram.Name)))
            {
                result.Add(histogram.Snapshot());
            }
        }

        return result;
    }
}
