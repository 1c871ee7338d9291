using System.Text.Json;
using Kubegate.Admin;
using Kubegate.Stats;

namespace Kubegate.Tests.Stats;

public class HistogramTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(5, 2)]
    [InlineData(6, 3)]
    [InlineData(3600000, 18)]
    [InlineData(3600001, 19)]
    public void BucketIndex_FirstBoundAtLeastTheValue(long value, int bucket) =>
        Assert.Equal(bucket, Histogram.BucketIndex(value));

    [Fact]
    public void Record_CountsSumAndBuckets()
    {
        var store = new StatsStore();
        var histogram = store.Histogram("cluster.c.upstream_cx_connect_ms");
        Assert.Same(histogram, store.Histogram("cluster.c.upstream_cx_connect_ms"));
        Assert.False(histogram.Used);

        histogram.Record(0);
        histogram.Record(3);
        histogram.Record(7000);
        histogram.Record(-5);

        var snapshot = histogram.Snapshot();
        Assert.True(histogram.Used);
        Assert.Equal(4, snapshot.Count);
        Assert.Equal(7003, snapshot.Sum);
        Assert.Equal(2, snapshot.BucketCounts[0]);
        Assert.Equal(1, snapshot.BucketCounts[2]);
        Assert.Equal(1, snapshot.BucketCounts[12]);
        Assert.Equal(20, snapshot.BucketCounts.Length);
    }

    [Fact]
    public void Record_IsSafeFromManyThreads()
    {
        var histogram = new Histogram("h");
        Parallel.For(0, 10_000, i => histogram.Record(i % 100));

        Assert.Equal(10_000, histogram.Count);
        Assert.Equal(100 * 99 / 2 * 100, histogram.Snapshot().Sum);
    }

    [Fact]
    public void Quantile_InterpolatesWithinBuckets()
    {
        var histogram = new Histogram("h");
        histogram.Record(0);
        histogram.Record(3);
        histogram.Record(7000);
        var snapshot = histogram.Snapshot();

        Assert.Equal(0, snapshot.Quantile(0));
        Assert.Equal(0.375, snapshot.Quantile(25));
        Assert.Equal(3, snapshot.Quantile(50));
        Assert.Equal(10000, snapshot.Quantile(100));
        Assert.True(double.IsNaN(new Histogram("empty").Snapshot().Quantile(50)));
    }

    [Fact]
    public void Quantile_OverflowBucketAnswersItsLowerBound()
    {
        var histogram = new Histogram("h");
        histogram.Record(5_000_000);

        Assert.Equal(3600000, histogram.Snapshot().Quantile(99));
    }

    [Fact]
    public void Text_HistogramsAfterOtherStats()
    {
        var store = new StatsStore();
        store.Counter("cluster.c.upstream_cx_total").Increment();
        var histogram = store.Histogram("cluster.c.upstream_cx_connect_ms");
        histogram.Record(0);
        histogram.Record(3);
        histogram.Record(7000);
        store.Histogram("cluster.c.upstream_cx_length_ms");

        var text = StatsTextFormatter.FormatText(
            StatsSelection.Select(store, filter: null, usedOnly: false),
            HistogramSelection.Select(store, filter: null, usedOnly: false));

        Assert.Equal(
            "cluster.c.upstream_cx_total: 1\n"
            + "cluster.c.upstream_cx_connect_ms: P0(nan,0) P25(nan,0.375) P50(nan,3) P75(nan,6250) P90(nan,8500) P95(nan,9250) "
            + "P99(nan,9850) P99.5(nan,9925) P99.9(nan,9985) P100(nan,10000)\n"
            + "cluster.c.upstream_cx_length_ms: No recorded values\n",
            text);
        Assert.DoesNotContain("length_ms", StatsTextFormatter.FormatText([], HistogramSelection.Select(store, null, usedOnly: true)), StringComparison.Ordinal);
    }

    [Fact]
    public void Json_HistogramsElement()
    {
        var store = new StatsStore();
        store.Histogram("listener.127.0.0.1_6443.downstream_cx_length_ms").Record(3);

        var json = StatsTextFormatter.FormatJson([], HistogramSelection.Select(store, filter: null, usedOnly: false));

        var histograms = JsonDocument.Parse(json).RootElement.GetProperty("stats")[0].GetProperty("histograms");
        Assert.Equal(10, histograms.GetProperty("supported_quantiles").GetArrayLength());
        var computed = histograms.GetProperty("computed_quantiles")[0];
        Assert.Equal("listener.127.0.0.1_6443.downstream_cx_length_ms", computed.GetProperty("name").GetString());
        var p50 = computed.GetProperty("values")[2];
        Assert.Equal(JsonValueKind.Null, p50.GetProperty("interval").ValueKind);
        Assert.Equal(3, p50.GetProperty("cumulative").GetDouble());
    }

    [Fact]
    public void Prometheus_ClassicHistogram()
    {
        var store = new StatsStore();
        var histogram = store.Histogram("cluster.c.upstream_cx_connect_ms");
        histogram.Record(0);
        histogram.Record(3);
        histogram.Record(7000);
        store.Histogram("server.initialization_time_ms");

        var text = PrometheusFormatter.Format([], HistogramSelection.Select(store, filter: null, usedOnly: false));

        string[] cumulative = ["1", "1", "2", "2", "2", "2", "2", "2", "2", "2", "2", "2", "3", "3", "3", "3", "3", "3", "3"];
        string[] bounds = ["0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "30000", "60000", "300000", "600000", "1800000", "3600000"];
        var expected = "# TYPE envoy_cluster_upstream_cx_connect_ms histogram\n"
            + string.Concat(bounds.Select((b, i) => $"envoy_cluster_upstream_cx_connect_ms_bucket{{envoy_cluster_name=\"c\",le=\"{b}\"}} {cumulative[i]}\n"))
            + "envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name=\"c\",le=\"+Inf\"} 3\n"
            + "envoy_cluster_upstream_cx_connect_ms_sum{envoy_cluster_name=\"c\"} 7003\n"
            + "envoy_cluster_upstream_cx_connect_ms_count{envoy_cluster_name=\"c\"} 3\n"
            + "# TYPE envoy_server_initialization_time_ms histogram\n"
            + string.Concat(bounds.Select(b => $"envoy_server_initialization_time_ms_bucket{{le=\"{b}\"}} 0\n"))
            + "envoy_server_initialization_time_ms_bucket{le=\"+Inf\"} 0\n"
            + "envoy_server_initialization_time_ms_sum{} 0\n"
            + "envoy_server_initialization_time_ms_count{} 0\n";
        Assert.Equal(expected, text);
    }

    [Fact]
    public void ResetCounters_LeavesHistograms()
    {
        var store = new StatsStore();
        store.Histogram("h").Record(1);

        store.ResetCounters();

        Assert.Equal(1, store.Histogram("h").Count);
    }
}
