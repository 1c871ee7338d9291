using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Kubegate.Admin;

/// <summary><c>/stats</c> in text (<c>name: value</c>, text readouts as <c>name: "value"</c>) and JSON.</summary>
internal static class StatsTextFormatter
{
    public static string FormatText(IReadOnlyList<StatEntry> stats)
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

        return text.ToString();
    }

    /// <summary><c>{"stats":[{"name":…,"value":…},…]}</c>; text readouts carry a string value.</summary>
    public static string FormatJson(IReadOnlyList<StatEntry> stats)
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

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
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
