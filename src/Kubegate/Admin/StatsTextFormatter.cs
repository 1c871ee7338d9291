using System.Buffers;
using System.Text;
using System.Text.Json;
using Kubegate.Stats;

namespace Kubegate.Admin;

/// <summary><c>/stats</c> in text (<c>name: value</c>, text readouts as <c>name: "value"</c>) and JSON.</summary>
internal static class StatsTextFormatter
{
    public static string FormatText(IReadOnlyList<StatEntry> stats, IReadOnlyList<HistogramSnapshot>? histograms = null)
    {
        var text = new StringBuilder();
        foreach (var stat in stats)
        {
            text.Append(stat.Name).Append(": ");
            if (stat.Kind == StatKind.TextReadout)
            {
                text.Append('"');
                AppendEscaped(text, stat.Text ?? string.Empty);
                text.Append('"');
            }
            else
            {
                text.Append(stat.Value);
            }

            text.Append('\n');
        }

        // Histograms last, as Envoy prints them: P<q>(interval,cumulative); there are no intervals here, so "nan".
        foreach (var histogram in histograms ?? [])
        {
            text.Append(histogram.Name).Append(": ");
            if (histogram.Count == 0)
            {
                text.Append("No recorded values\n");
                continue;
            }

            for (var i = 0; i < Histogram.SupportedQuantiles.Length; i++)
            {
                var quantile = Histogram.SupportedQuantiles[i];
                text.Append(i == 0 ? "P" : " P").Append(HistogramSnapshot.FormatNumber(quantile)).Append("(nan,")
                    .Append(HistogramSnapshot.FormatNumber(histogram.Quantile(quantile))).Append(')');
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary><c>{"stats":[{"name":…,"value":…},…]}</c>; text readouts carry a string value.</summary>
    public static string FormatJson(IReadOnlyList<StatEntry> stats, IReadOnlyList<HistogramSnapshot>? histograms = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("stats");
            foreach (var stat in stats)
            {
                json.WriteStartObject();
                json.WriteString("name", stat.Name);
                if (stat.Kind == StatKind.TextReadout)
                {
                    json.WriteString("value", stat.Text ?? string.Empty);
                }
                else
                {
                    json.WriteNumber("value", stat.Value);
                }

                json.WriteEndObject();
            }

            if (histograms is { Count: > 0 })
            {
                WriteHistograms(json, histograms);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // {"histograms":{"supported_quantiles":[…],"computed_quantiles":[{"name":…,"values":[{"interval":null,"cumulative":x},…]}]}}
    private static void WriteHistograms(Utf8JsonWriter json, IReadOnlyList<HistogramSnapshot> histograms)
    {
        json.WriteStartObject();
        json.WriteStartObject("histograms");
        json.WriteStartArray("supported_quantiles");
        foreach (var quantile in Histogram.SupportedQuantiles)
        {
            json.WriteNumberValue(quantile);
        }

        json.WriteEndArray();
        json.WriteStartArray("computed_quantiles");
        foreach (var histogram in histograms)
        {
            json.WriteStartObject();
            json.WriteString("name", histogram.Name);
            json.WriteStartArray("values");
            foreach (var quantile in Histogram.SupportedQuantiles)
            {
                json.WriteStartObject();
                json.WriteNull("interval");
                var value = histogram.Quantile(quantile);
                if (double.IsNaN(value))
                {
                    json.WriteNull("cumulative");
                }
                else
                {
                    json.WriteNumber("cumulative", Math.Round(value, 6));
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    // C-style escaping, as Envoy prints text readouts.
    private static void AppendEscaped(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append("\\n"),
                '\r' => text.Append("\\r"),
                '\t' => text.Append("\\t"),
                _ => text.Append(c),
            };
        }
    }
}
