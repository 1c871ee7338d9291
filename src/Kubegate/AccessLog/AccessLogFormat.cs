using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kubegate.AccessLog.Formatting;
using Kubegate.Configuration;

namespace Kubegate.AccessLog;

/// <summary>
/// A compiled access-log format: what <see cref="AccessLogFormatParser"/> parsed at config load, rendered per
/// connection without allocating per segment.
/// </summary>
internal sealed class AccessLogFormat
{
    [ThreadStatic]
    private static JsonScratch? t_json;

    private readonly FormatSegment[]? _text;
    private readonly FormatJsonNode[]? _json;
    private readonly bool _omitEmptyValues;

    private AccessLogFormat(ParsedAccessLogFormat parsed)
    {
        _text = parsed.Text;
        _json = parsed.Json;
        _omitEmptyValues = parsed.OmitEmptyValues;
    }

    public bool IsJson => _json is not null;

    /// <summary>Compiles the config's format (text, JSON or Envoy's default); on failure <paramref name="error"/> is Envoy's text.</summary>
    public static bool TryCompile(AccessLogConfig config, out AccessLogFormat? format, out string? error)
    {
        ArgumentNullException.ThrowIfNull(config);
        format = AccessLogFormatParser.TryParse(config.TextFormat, config.JsonFormat, config.OmitEmptyValues, out var parsed, out error)
            ? new AccessLogFormat(parsed!)
            : null;
        return format is not null;
    }

    /// <summary>Compiles a text format string.</summary>
    public static bool TryCompileText(string text, out AccessLogFormat? format, out string? error) =>
        TryCompile(new AccessLogConfig { Name = "text", TypeUrl = string.Empty, TextFormat = text }, out format, out error);

    /// <summary>Appends one rendered entry to <paramref name="output"/> (JSON entries end with <c>\n</c>; text ends as configured).</summary>
    public void Render(AccessLogRecord record, StringBuilder output)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(output);
        if (_text is not null)
        {
            RenderSegments(_text, record, output, _omitEmptyValues);
            return;
        }

        var scratch = t_json ??= new JsonScratch();
        scratch.Buffer.ResetWrittenCount();
        scratch.Writer.Reset(scratch.Buffer);
        scratch.Writer.WriteStartObject();
        WriteMembers(_json!, record, scratch);
        scratch.Writer.WriteEndObject();
        scratch.Writer.Flush();

        var bytes = scratch.Buffer.WrittenSpan;
        var chars = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(bytes.Length));
        var count = Encoding.UTF8.GetChars(bytes, chars);
        output.Append(chars, 0, count).Append('\n');
        ArrayPool<char>.Shared.Return(chars);
    }

    private void WriteMembers(FormatJsonNode[] nodes, AccessLogRecord record, JsonScratch scratch)
    {
        var writer = scratch.Writer;
        foreach (var node in nodes)
        {
            if (node.Children is { } children)
            {
                writer.WriteStartObject(node.Name);
                WriteMembers(children, record, scratch);
                writer.WriteEndObject();
                continue;
            }

            var segments = node.Value!;
            if (segments.Length == 1 && segments[0].MaxLength == 0 && NumericValue(segments[0].Op, record) is { } number)
            {
                writer.WriteNumber(node.Name, number);
                continue;
            }

            var text = scratch.Text.Clear();
            RenderSegments(segments, record, text, omitEmpty: false);
            if (_omitEmptyValues && (text.Length == 0 || (text.Length == 1 && text[0] == '-')))
            {
                continue;
            }

            if (scratch.Chars.Length < text.Length)
            {
                scratch.Chars = new char[Math.Max(text.Length, scratch.Chars.Length * 2)];
            }

            text.CopyTo(0, scratch.Chars, text.Length);
            writer.WriteString(node.Name, scratch.Chars.AsSpan(0, text.Length));
        }
    }

    private static long? NumericValue(FormatOp op, AccessLogRecord r) => op switch
    {
        FormatOp.BytesReceived => r.BytesReceived,
        FormatOp.BytesSent => r.BytesSent,
        FormatOp.Duration => (long)r.Duration.TotalMilliseconds,
        FormatOp.ResponseCode => 0,
        FormatOp.ConnectionId => r.ConnectionId,
        FormatOp.UpstreamRequestAttemptCount => r.UpstreamRequestAttemptCount,
        _ => null,
    };

    private static void RenderSegments(FormatSegment[] segments, AccessLogRecord record, StringBuilder output, bool omitEmpty)
    {
        foreach (var segment in segments)
        {
            if (segment.Op == FormatOp.Literal)
            {
                output.Append(segment.Text);
                continue;
            }

            var start = output.Length;
            AppendValue(segment, record, output);
            var length = output.Length - start;
            if (length == 0)
            {
                if (!omitEmpty)
                {
                    output.Append('-');
                }
            }
            else if (segment.MaxLength > 0 && length > segment.MaxLength)
            {
                // Never half a surrogate pair: a character cut in two renders as U+FFFD (JSON) or '?' (the log file);
                // the whole character goes instead, so the value can be one shorter than N. Found by a property test.
                var end = start + segment.MaxLength;
                output.Length = char.IsHighSurrogate(output[end - 1]) ? end - 1 : end;
            }
        }
    }

    /// <summary>Appends the operator's value; appends nothing when the value is unset.</summary>
    private static void AppendValue(FormatSegment segment, AccessLogRecord r, StringBuilder output)
    {
        switch (segment.Op)
        {
            case FormatOp.Dash:
                break;
            case FormatOp.Constant:
                output.Append(segment.Text);
                break;
            case FormatOp.StartTime:
                StrftimeFormatter.Format(segment.Text ?? StrftimeFormatter.DefaultUtc, r.StartTime.ToUniversalTime(), utc: true, output);
                break;
            case FormatOp.StartTimeLocal:
                StrftimeFormatter.Format(segment.Text ?? StrftimeFormatter.DefaultLocal, TimeZoneInfo.ConvertTime(r.StartTime, TimeZoneInfo.Local), utc: false, output);
                break;
            case FormatOp.ResponseFlags:
                AppendFlags(r.ResponseFlags, longNames: false, output);
                break;
            case FormatOp.ResponseFlagsLong:
                AppendFlags(r.ResponseFlags, longNames: true, output);
                break;
            case FormatOp.UpstreamHost:
                AppendEndPoint(r.UpstreamHost, output);
                break;
            case FormatOp.UpstreamHostWithoutPort:
                AppendAddress(r.UpstreamHost, output);
                break;
            case FormatOp.UpstreamHostPort:
                AppendPort(r.UpstreamHost, output);
                break;
            case FormatOp.UpstreamCluster:
                output.Append(r.UpstreamCluster);
                break;
            case FormatOp.UpstreamLocalAddress:
                AppendEndPoint(r.UpstreamLocalAddress, output);
                break;
            case FormatOp.UpstreamLocalAddressWithoutPort:
                AppendAddress(r.UpstreamLocalAddress, output);
                break;
            case FormatOp.UpstreamLocalPort:
                AppendPort(r.UpstreamLocalAddress, output);
                break;
            case FormatOp.UpstreamTransportFailureReason:
                output.Append(r.UpstreamTransportFailureReason);
                break;
            case FormatOp.DownstreamRemoteAddress:
                AppendEndPoint(r.DownstreamRemoteAddress, output);
                break;
            case FormatOp.DownstreamRemoteAddressWithoutPort:
                AppendAddress(r.DownstreamRemoteAddress, output);
                break;
            case FormatOp.DownstreamRemotePort:
                AppendPort(r.DownstreamRemoteAddress, output);
                break;
            case FormatOp.DownstreamLocalAddress:
                AppendEndPoint(r.DownstreamLocalAddress, output);
                break;
            case FormatOp.DownstreamLocalAddressWithoutPort:
                AppendAddress(r.DownstreamLocalAddress, output);
                break;
            case FormatOp.DownstreamLocalPort:
                AppendPort(r.DownstreamLocalAddress, output);
                break;
            case FormatOp.ConnectionTerminationDetails:
                output.Append(r.ConnectionTerminationDetails);
                break;
            case FormatOp.RequestedServerName:
                output.Append(r.RequestedServerName);
                break;
            default:
                if (NumericValue(segment.Op, r) is { } number)
                {
                    StrftimeFormatter.AppendNumber(output, number, 1);
                }

                break;
        }
    }

    private static readonly (ResponseFlags Flag, string Short, string Long)[] FlagNames =
    [
        // Envoy's CoreResponseFlag order (source/common/stream_info/utility.h), restricted to what a TCP proxy sets.
        (ResponseFlags.NoHealthyUpstream, "UH", "NoHealthyUpstream"),
        (ResponseFlags.UpstreamConnectionFailure, "UF", "UpstreamConnectionFailure"),
        (ResponseFlags.UpstreamOverflow, "UO", "UpstreamOverflow"),
        (ResponseFlags.NoFilterChainFound, "NR", "NoRouteFound"),
        (ResponseFlags.UpstreamRetryLimitExceeded, "URX", "UpstreamRetryLimitExceeded"),
        (ResponseFlags.DurationTimeout, "DT", "DurationTimeout"),
        (ResponseFlags.NoClusterFound, "NC", "NoClusterFound"),
        (ResponseFlags.Rebalanced, "RBL", "KubegateRebalanced"),
    ];

    private static void AppendFlags(ResponseFlags flags, bool longNames, StringBuilder output)
    {
        var first = true;
        foreach (var (flag, shortName, longName) in FlagNames)
        {
            if ((flags & flag) == 0)
            {
                continue;
            }

            if (!first)
            {
                output.Append(',');
            }

            output.Append(longNames ? longName : shortName);
            first = false;
        }
    }

    private static void AppendEndPoint(IPEndPoint? endPoint, StringBuilder output)
    {
        if (endPoint is null)
        {
            return;
        }

        var v6 = endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        if (v6)
        {
            output.Append('[');
        }

        AppendAddress(endPoint, output);
        if (v6)
        {
            output.Append(']');
        }

        output.Append(':');
        StrftimeFormatter.AppendNumber(output, endPoint.Port, 1);
    }

    private static void AppendAddress(IPEndPoint? endPoint, StringBuilder output)
    {
        if (endPoint is null)
        {
            return;
        }

        Span<char> buffer = stackalloc char[64];
        if (endPoint.Address.TryFormat(buffer, out var written))
        {
            output.Append(buffer[..written]);
        }
    }

    private static void AppendPort(IPEndPoint? endPoint, StringBuilder output)
    {
        if (endPoint is not null)
        {
            StrftimeFormatter.AppendNumber(output, endPoint.Port, 1);
        }
    }

    private sealed class JsonScratch
    {
        public JsonScratch()
        {
            Writer = new Utf8JsonWriter(Buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
        }

        public ArrayBufferWriter<byte> Buffer { get; } = new(1024);

        public Utf8JsonWriter Writer { get; }

        public StringBuilder Text { get; } = new(256);

        public char[] Chars { get; set; } = new char[256];
    }
}
