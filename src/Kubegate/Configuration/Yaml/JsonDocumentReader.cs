using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Kubegate.Configuration.Yaml;

/// <summary>
/// Builds a <see cref="ConfigNode"/> tree from JSON with <see cref="Utf8JsonReader"/> (no serializer, NativeAOT safe).
/// Line numbers come from the token offsets. Comments and trailing commas are refused, as by protobuf's JSON parser.
/// </summary>
internal static class JsonDocumentReader
{
    private const int MaxDepth = 200;

    public static DocumentParseResult Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        if (IsBlank(utf8))
        {
            return new DocumentParseResult(null);
        }

        var lines = new LineIndex(utf8);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            if (!reader.Read())
            {
                return new DocumentParseResult(null);
            }

            var root = ReadValue(ref reader, lines);
            if (reader.Read())
            {
                return new DocumentParseResult(null, "invalid JSON: unexpected data after the end of the document", lines.LineOf(reader.TokenStartIndex));
            }

            return new DocumentParseResult(root is ConfigScalar { IsNull: true } ? null : root);
        }
        catch (JsonException ex)
        {
            return new DocumentParseResult(null, "invalid JSON: " + StripPosition(ex.Message), (int)(ex.LineNumber ?? 0) + 1);
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader checks a string's UTF-8 only when it is read (GetString), and reports a bad one with
            // this exception rather than a JsonException; found by fuzzing.
            return new DocumentParseResult(null, "invalid JSON: a string is not valid UTF-8", lines.LineOf(reader.TokenStartIndex), "save the file as UTF-8");
        }
    }

    private static ConfigNode ReadValue(ref Utf8JsonReader reader, LineIndex lines)
    {
        var line = lines.LineOf(reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var entries = ImmutableArray.CreateBuilder<ConfigMappingEntry>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var keyLine = lines.LineOf(reader.TokenStartIndex);
                    var key = reader.GetString() ?? string.Empty;
                    reader.Read();
                    entries.Add(new ConfigMappingEntry(key, keyLine, ReadValue(ref reader, lines)));
                }

                return new ConfigMapping(line, entries.ToImmutable());
            }

            case JsonTokenType.StartArray:
            {
                var items = ImmutableArray.CreateBuilder<ConfigNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadValue(ref reader, lines));
                }

                return new ConfigSequence(line, items.ToImmutable());
            }

            case JsonTokenType.String:
                return new ConfigScalar(line, reader.GetString() ?? string.Empty, ScalarKind.String, isQuoted: true);
            case JsonTokenType.Number:
                return new ConfigScalar(line, Encoding.UTF8.GetString(reader.ValueSpan), ScalarKind.Number, isQuoted: false);
            case JsonTokenType.True:
                return new ConfigScalar(line, "true", ScalarKind.Boolean, isQuoted: false);
            case JsonTokenType.False:
                return new ConfigScalar(line, "false", ScalarKind.Boolean, isQuoted: false);
            case JsonTokenType.Null:
                return new ConfigScalar(line, "null", ScalarKind.Null, isQuoted: false);
            default:
                throw new JsonException(string.Create(CultureInfo.InvariantCulture, $"unexpected token {reader.TokenType}"), null, line - 1, null);
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> utf8)
    {
        foreach (var b in utf8)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    // Utf8JsonReader messages end with " LineNumber: 2 | BytePositionInLine: 4."; the line is reported separately.
    private static string StripPosition(string message)
    {
        var index = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return index > 0 ? message[..index] : message;
    }

    /// <summary>Maps a byte offset to a 1-based line by binary search over the newline offsets.</summary>
    private sealed class LineIndex
    {
        private readonly int[] _newlines;

        public LineIndex(ReadOnlySpan<byte> utf8)
        {
            var newlines = new List<int>();
            for (var i = 0; i < utf8.Length; i++)
            {
                if (utf8[i] == (byte)'\n')
                {
                    newlines.Add(i);
                }
            }

            _newlines = [.. newlines];
        }

        public int LineOf(long offset)
        {
            var index = Array.BinarySearch(_newlines, (int)offset);
            return (index >= 0 ? index : ~index) + 1;
        }
    }
}
