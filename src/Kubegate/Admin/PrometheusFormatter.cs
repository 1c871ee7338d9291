using System.Text;
using System.Text.RegularExpressions;
using Kubegate.Stats;

namespace Kubegate.Admin;

/// <summary>
/// Prometheus text exposition 0.0.4 with Envoy's naming: the tags this subset uses are pulled out of the stat name
/// (<c>cluster.&lt;name&gt;.X</c>, <c>tcp.&lt;prefix&gt;.X</c>, <c>listener.&lt;address&gt;.X</c>) into labels, and the rest
/// becomes <c>envoy_</c> + the name with every character outside <c>[a-zA-Z0-9_]</c> replaced by <c>_</c>. Counters
/// come first, then gauges (Envoy's order); within each, families are sorted by name and samples by label text.
/// Text readouts are left out.
/// </summary>
internal static partial class PrometheusFormatter
{
    public static string Format(IReadOnlyList<StatEntry> stats, IReadOnlyList<HistogramSnapshot>? histograms = null)
    {
        var text = new StringBuilder();
        AppendKind(text, stats, StatKind.Counter, "counter");
        AppendKind(text, stats, StatKind.Gauge, "gauge");
        if (histograms is { Count: > 0 })
        {
            AppendHistograms(text, histograms);
        }

        return text.ToString();
    }

    /// <summary>Classic histograms: cumulative <c>_bucket{…,le="…"}</c> lines ending in <c>+Inf</c>, then <c>_sum</c> and <c>_count</c>.</summary>
    private static void AppendHistograms(StringBuilder text, IReadOnlyList<HistogramSnapshot> histograms)
    {
        var families = new SortedDictionary<string, List<(string Labels, HistogramSnapshot Histogram)>>(StringComparer.Ordinal);
        foreach (var histogram in histograms)
        {
            var (metric, labels) = ExtractTags(histogram.Name);
            if (!families.TryGetValue(metric, out var samples))
            {
                families[metric] = samples = [];
            }

            samples.Add((labels, histogram));
        }

        var bounds = Histogram.DefaultBounds;
        foreach (var (metric, samples) in families)
        {
            samples.Sort(static (a, b) => string.CompareOrdinal(a.Labels, b.Labels));
            text.Append("# TYPE ").Append(metric).Append(" histogram\n");
            foreach (var (labels, histogram) in samples)
            {
                var prefix = labels.Length > 0 ? labels + "," : string.Empty;
                long cumulative = 0;
                for (var i = 0; i <= bounds.Length; i++)
                {
                    cumulative += histogram.BucketCounts[i];
                    var le = i < bounds.Length ? HistogramSnapshot.FormatNumber(bounds[i]) : "+Inf";
                    text.Append(metric).Append("_bucket{").Append(prefix).Append("le=\"").Append(le).Append("\"} ").Append(cumulative).Append('\n');
                }

                text.Append(metric).Append("_sum{").Append(labels).Append("} ").Append(histogram.Sum).Append('\n');
                text.Append(metric).Append("_count{").Append(labels).Append("} ").Append(cumulative).Append('\n');
            }
        }
    }

    /// <summary>The metric name and label text (without braces) of one stat.</summary>
    public static (string Metric, string Labels) ExtractTags(string name)
    {
        string baseName;
        string labels;
        if (name.StartsWith("cluster.", StringComparison.Ordinal) && name.IndexOf('.', 8) is var clusterEnd && clusterEnd > 8)
        {
            // envoy.cluster_name: the first segment after "cluster.".
            baseName = "cluster." + name[(clusterEnd + 1)..];
            labels = Label("envoy_cluster_name", name[8..clusterEnd]);
        }
        else if (name.StartsWith("tcp.", StringComparison.Ordinal) && name.LastIndexOf('.') is var tcpEnd && tcpEnd > 4)
        {
            // envoy.tcp_prefix: ^tcp\.((.*?)\.)\w+?$ — everything up to the last segment.
            baseName = "tcp." + name[(tcpEnd + 1)..];
            labels = Label("envoy_tcp_prefix", name[4..tcpEnd]);
        }
        else if (ListenerAddress().Match(name) is { Success: true } listener)
        {
            baseName = "listener." + listener.Groups["rest"].Value;
            labels = Label("envoy_listener_address", listener.Groups["address"].Value);
        }
        else
        {
            baseName = name;
            labels = string.Empty;
        }

        return ("envoy_" + Sanitize(baseName), labels);
    }

    /// <summary><c>envoy_</c>-style metric name: characters outside <c>[a-zA-Z0-9_]</c> become <c>_</c>.</summary>
    public static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(chars[i]) && chars[i] != '_')
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    private static void AppendKind(StringBuilder text, IReadOnlyList<StatEntry> stats, StatKind kind, string type)
    {
        var families = new SortedDictionary<string, List<(string Labels, long Value)>>(StringComparer.Ordinal);
        foreach (var stat in stats)
        {
            if (stat.Kind != kind)
            {
                continue;
            }

            var (metric, labels) = ExtractTags(stat.Name);
            if (!families.TryGetValue(metric, out var samples))
            {
                families[metric] = samples = [];
            }

            samples.Add((labels, stat.Value));
        }

        foreach (var (metric, samples) in families)
        {
            samples.Sort(static (a, b) => string.CompareOrdinal(a.Labels, b.Labels));
            text.Append("# TYPE ").Append(metric).Append(' ').Append(type).Append('\n');
            foreach (var (labels, value) in samples)
            {
                text.Append(metric).Append('{').Append(labels).Append("} ").Append(value).Append('\n');
            }
        }
    }

    private static string Label(string name, string value)
    {
        var escaped = value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);
        return name + "=\"" + escaped + "\"";
    }

    // envoy.listener_address: an IPv4 (digits, dots, underscores) or IPv6 ([, ], hex digits, underscores) address.
    [GeneratedRegex(@"^listener\.(?<address>[_.0-9]*|[_\[\]a-fA-F0-9]*)\.(?<rest>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex ListenerAddress();
}
