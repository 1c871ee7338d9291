using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kubegate.AccessLog;
using Kubegate.Configuration;
using Kubegate.Infrastructure;

namespace Kubegate.AccessLog.Formatting;

/// <summary>
/// A compiled access-log format (Envoy's <c>SubstitutionFormatString</c>): text or JSON, parsed once at config load
/// into a segment array and rendered per connection without allocating per segment.
/// </summary>
internal sealed class AccessLogFormat
{
    /// <summary>Envoy's default format string (usage.rst "Default Format String"); it ends with a newline.</summary>
    public const string DefaultTextFormat =
        "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% "
        + "%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" "
        + "\"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\"\n";

    /// <summary>Prefix of Envoy's error for an unknown command; the command follows it.</summary>
    public const string UnsupportedFieldPrefix = "Not supported field in StreamInfo: ";

    /// <summary>Every command this formatter accepts (for suggestions).</summary>
    public static readonly string[] SupportedOperators =
    [
        "START_TIME", "START_TIME_LOCAL", "BYTES_RECEIVED", "BYTES_SENT", "DURATION", "RESPONSE_FLAGS", "RESPONSE_FLAGS_LONG",
        "RESPONSE_CODE", "UPSTREAM_HOST", "UPSTREAM_CLUSTER", "UPSTREAM_LOCAL_ADDRESS", "UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
        "UPSTREAM_LOCAL_PORT", "UPSTREAM_REMOTE_ADDRESS", "UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT", "UPSTREAM_REMOTE_PORT",
        "UPSTREAM_TRANSPORT_FAILURE_REASON", "DOWNSTREAM_REMOTE_ADDRESS", "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
        "DOWNSTREAM_REMOTE_PORT", "DOWNSTREAM_LOCAL_ADDRESS", "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT", "DOWNSTREAM_LOCAL_PORT",
        "DOWNSTREAM_DIRECT_REMOTE_ADDRESS", "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT", "DOWNSTREAM_DIRECT_REMOTE_PORT",
        "CONNECTION_ID", "CONNECTION_TERMINATION_DETAILS", "REQUESTED_SERVER_NAME", "HOSTNAME", "ENVIRONMENT",
        "UPSTREAM_REQUEST_ATTEMPT_COUNT", "PROTOCOL", "RESPONSE_CODE_DETAILS", "REQUEST_DURATION", "RESPONSE_DURATION",
        "RESPONSE_TX_DURATION", "DOWNSTREAM_LOCAL_CLOSE_REASON", "REQ", "REQUEST_HEADER", "RESP", "RESPONSE_HEADER", "TRAILER",
        "RESPONSE_TRAILER",
    ];

    [ThreadStatic]
    private static JsonScratch? t_json;

    private readonly Segment[]? _text;
    private readonly JsonNode[]? _json;
    private readonly bool _omitEmptyValues;

    private AccessLogFormat(Segment[]? text, JsonNode[]? json, bool omitEmptyValues)
    {
        _text = text;
        _json = json;
        _omitEmptyValues = omitEmptyValues;
    }

    public bool IsJson => _json is not null;

    private enum Op
    {
        Literal,
        Dash,
        Constant,
        StartTime,
        StartTimeLocal,
        BytesReceived,
        BytesSent,
        Duration,
        ResponseFlags,
        ResponseFlagsLong,
        ResponseCode,
        UpstreamHost,
        UpstreamHostWithoutPort,
        UpstreamHostPort,
        UpstreamCluster,
        UpstreamLocalAddress,
        UpstreamLocalAddressWithoutPort,
        UpstreamLocalPort,
        UpstreamTransportFailureReason,
        DownstreamRemoteAddress,
        DownstreamRemoteAddressWithoutPort,
        DownstreamRemotePort,
        DownstreamLocalAddress,
        DownstreamLocalAddressWithoutPort,
        DownstreamLocalPort,
        ConnectionId,
        ConnectionTerminationDetails,
        RequestedServerName,
        UpstreamRequestAttemptCount,
    }

    /// <summary>Compiles the config's format (text, JSON or Envoy's default); on failure <paramref name="error"/> is Envoy's text.</summary>
    public static bool TryCompile(AccessLogConfig config, out AccessLogFormat? format, out string? error)
    {
        ArgumentNullException.ThrowIfNull(config);
        format = null;
        if (config.JsonFormat is { } json)
        {
            var nodes = new List<(string[] Path, Segment[] Value)>();
            foreach (var (key, value) in json)
            {
                if (!TryParse(value, out var segments, out error))
                {
                    return false;
                }

                nodes.Add((key.Split('.'), segments));
            }

            if (!TryBuildTree(nodes, 0, out var tree, out error))
            {
                return false;
            }

            format = new AccessLogFormat(null, tree, config.OmitEmptyValues);
            return true;
        }

        if (!TryParse(config.TextFormat ?? DefaultTextFormat, out var text, out error))
        {
            return false;
        }

        format = new AccessLogFormat(text, null, config.OmitEmptyValues);
        return true;
    }

    /// <summary>Compiles a text format string.</summary>
    public static bool TryCompileText(string text, out AccessLogFormat? format, out string? error) =>
        TryCompile(new AccessLogConfig { Name = "text", TypeUrl = string.Empty, TextFormat = text }, out format, out error);

    /// <summary>The supported command nearest to <paramref name="command"/> (edit distance), for a config-error fix.</summary>
    public static string ClosestOperator(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var best = SupportedOperators[0];
        var bestDistance = int.MaxValue;
        foreach (var candidate in SupportedOperators)
        {
            var distance = EditDistance.Between(command, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

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

    private void WriteMembers(JsonNode[] nodes, AccessLogRecord record, JsonScratch scratch)
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

    private static long? NumericValue(Op op, AccessLogRecord r) => op switch
    {
        Op.BytesReceived => r.BytesReceived,
        Op.BytesSent => r.BytesSent,
        Op.Duration => (long)r.Duration.TotalMilliseconds,
        Op.ResponseCode => 0,
        Op.ConnectionId => r.ConnectionId,
        Op.UpstreamRequestAttemptCount => r.UpstreamRequestAttemptCount,
        _ => null,
    };

    private static void RenderSegments(Segment[] segments, AccessLogRecord record, StringBuilder output, bool omitEmpty)
    {
        foreach (var segment in segments)
        {
            if (segment.Op == Op.Literal)
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
                output.Length = start + segment.MaxLength;
            }
        }
    }

    /// <summary>Appends the operator's value; appends nothing when the value is unset.</summary>
    private static void AppendValue(Segment segment, AccessLogRecord r, StringBuilder output)
    {
        switch (segment.Op)
        {
            case Op.Dash:
                break;
            case Op.Constant:
                output.Append(segment.Text);
                break;
            case Op.StartTime:
                StrftimeFormatter.Format(segment.Text ?? StrftimeFormatter.DefaultUtc, r.StartTime.ToUniversalTime(), utc: true, output);
                break;
            case Op.StartTimeLocal:
                StrftimeFormatter.Format(segment.Text ?? StrftimeFormatter.DefaultLocal, TimeZoneInfo.ConvertTime(r.StartTime, TimeZoneInfo.Local), utc: false, output);
                break;
            case Op.ResponseFlags:
                AppendFlags(r.ResponseFlags, longNames: false, output);
                break;
            case Op.ResponseFlagsLong:
                AppendFlags(r.ResponseFlags, longNames: true, output);
                break;
            case Op.UpstreamHost:
                AppendEndPoint(r.UpstreamHost, output);
                break;
            case Op.UpstreamHostWithoutPort:
                AppendAddress(r.UpstreamHost, output);
                break;
            case Op.UpstreamHostPort:
                AppendPort(r.UpstreamHost, output);
                break;
            case Op.UpstreamCluster:
                output.Append(r.UpstreamCluster);
                break;
            case Op.UpstreamLocalAddress:
                AppendEndPoint(r.UpstreamLocalAddress, output);
                break;
            case Op.UpstreamLocalAddressWithoutPort:
                AppendAddress(r.UpstreamLocalAddress, output);
                break;
            case Op.UpstreamLocalPort:
                AppendPort(r.UpstreamLocalAddress, output);
                break;
            case Op.UpstreamTransportFailureReason:
                output.Append(r.UpstreamTransportFailureReason);
                break;
            case Op.DownstreamRemoteAddress:
                AppendEndPoint(r.DownstreamRemoteAddress, output);
                break;
            case Op.DownstreamRemoteAddressWithoutPort:
                AppendAddress(r.DownstreamRemoteAddress, output);
                break;
            case Op.DownstreamRemotePort:
                AppendPort(r.DownstreamRemoteAddress, output);
                break;
            case Op.DownstreamLocalAddress:
                AppendEndPoint(r.DownstreamLocalAddress, output);
                break;
            case Op.DownstreamLocalAddressWithoutPort:
                AppendAddress(r.DownstreamLocalAddress, output);
                break;
            case Op.DownstreamLocalPort:
                AppendPort(r.DownstreamLocalAddress, output);
                break;
            case Op.ConnectionTerminationDetails:
                output.Append(r.ConnectionTerminationDetails);
                break;
            case Op.RequestedServerName:
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
        (ResponseFlags.UpstreamRetryLimitExceeded, "URX", "UpstreamRetryLimitExceeded"),
        (ResponseFlags.DurationTimeout, "DT", "DurationTimeout"),
        (ResponseFlags.NoClusterFound, "NC", "NoClusterFound"),
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

    /// <summary>Parses a format string the way Envoy's <c>SubstitutionFormatParser</c> does.</summary>
    private static bool TryParse(string format, out Segment[] segments, out string? error)
    {
        var list = new List<Segment>();
        var literal = new StringBuilder();
        var i = 0;
        error = null;
        segments = [];
        while (i < format.Length)
        {
            var c = format[i];
            if (c != '%')
            {
                literal.Append(c);
                i++;
                continue;
            }

            if (i + 1 < format.Length && format[i + 1] == '%')
            {
                literal.Append('%');
                i += 2;
                continue;
            }

            // %COMMAND(arg):N%
            var start = i;
            var p = i + 1;
            while (p < format.Length && (char.IsAsciiLetterUpper(format[p]) || char.IsAsciiDigit(format[p]) || format[p] == '_'))
            {
                p++;
            }

            var command = format[(i + 1)..p];
            string? arg = null;
            if (p < format.Length && format[p] == '(')
            {
                var close = format.IndexOf(')', p);
                if (close < 0)
                {
                    return Fail(format, start, out error);
                }

                arg = format[(p + 1)..close];
                p = close + 1;
            }

            var maxLength = 0;
            if (p < format.Length && format[p] == ':')
            {
                var digits = p + 1;
                while (digits < format.Length && char.IsAsciiDigit(format[digits]))
                {
                    digits++;
                }

                if (digits == p + 1 || !int.TryParse(format.AsSpan(p + 1, digits - p - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out maxLength))
                {
                    return Fail(format, start, out error);
                }

                p = digits;
            }

            if (command.Length == 0 || p >= format.Length || format[p] != '%')
            {
                return Fail(format, start, out error);
            }

            if (!TryCreate(command, arg, maxLength, out var segment, out error))
            {
                return false;
            }

            if (literal.Length > 0)
            {
                list.Add(new Segment(Op.Literal, literal.ToString(), 0));
                literal.Clear();
            }

            list.Add(segment);
            i = p + 1;
        }

        if (literal.Length > 0)
        {
            list.Add(new Segment(Op.Literal, literal.ToString(), 0));
        }

        segments = [.. list];
        return true;
    }

    private static bool Fail(string format, int position, out string? error)
    {
        error = $"Incorrect configuration: {format}. Couldn't find valid command at position {position}";
        return false;
    }

    private static bool TryCreate(string command, string? arg, int maxLength, out Segment segment, out string? error)
    {
        error = null;
        Op? op = command switch
        {
            "START_TIME" => Op.StartTime,
            "START_TIME_LOCAL" => Op.StartTimeLocal,
            "BYTES_RECEIVED" => Op.BytesReceived,
            "BYTES_SENT" => Op.BytesSent,
            "DURATION" => Op.Duration,
            "RESPONSE_FLAGS" => Op.ResponseFlags,
            "RESPONSE_FLAGS_LONG" => Op.ResponseFlagsLong,
            "RESPONSE_CODE" => Op.ResponseCode,
            "UPSTREAM_HOST" or "UPSTREAM_REMOTE_ADDRESS" => Op.UpstreamHost,
            "UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT" => Op.UpstreamHostWithoutPort,
            "UPSTREAM_REMOTE_PORT" => Op.UpstreamHostPort,
            "UPSTREAM_CLUSTER" => Op.UpstreamCluster,
            "UPSTREAM_LOCAL_ADDRESS" => Op.UpstreamLocalAddress,
            "UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT" => Op.UpstreamLocalAddressWithoutPort,
            "UPSTREAM_LOCAL_PORT" => Op.UpstreamLocalPort,
            "UPSTREAM_TRANSPORT_FAILURE_REASON" => Op.UpstreamTransportFailureReason,
            "DOWNSTREAM_REMOTE_ADDRESS" or "DOWNSTREAM_DIRECT_REMOTE_ADDRESS" => Op.DownstreamRemoteAddress,
            "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT" or "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT" => Op.DownstreamRemoteAddressWithoutPort,
            "DOWNSTREAM_REMOTE_PORT" or "DOWNSTREAM_DIRECT_REMOTE_PORT" => Op.DownstreamRemotePort,
            "DOWNSTREAM_LOCAL_ADDRESS" => Op.DownstreamLocalAddress,
            "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT" => Op.DownstreamLocalAddressWithoutPort,
            "DOWNSTREAM_LOCAL_PORT" => Op.DownstreamLocalPort,
            "CONNECTION_ID" => Op.ConnectionId,
            "CONNECTION_TERMINATION_DETAILS" => Op.ConnectionTerminationDetails,
            "REQUESTED_SERVER_NAME" => Op.RequestedServerName,
            "UPSTREAM_REQUEST_ATTEMPT_COUNT" => Op.UpstreamRequestAttemptCount,
            "HOSTNAME" or "ENVIRONMENT" => Op.Constant,
            "PROTOCOL" or "RESPONSE_CODE_DETAILS" or "REQUEST_DURATION" or "RESPONSE_DURATION" or "RESPONSE_TX_DURATION"
                or "DOWNSTREAM_LOCAL_CLOSE_REASON" => Op.Dash,
            "REQ" or "REQUEST_HEADER" or "RESP" or "RESPONSE_HEADER" or "TRAILER" or "RESPONSE_TRAILER" => Op.Dash,
            _ => null,
        };

        segment = default;
        if (op is not { } kind)
        {
            error = UnsupportedFieldPrefix + command;
            return false;
        }

        var isHeader = command is "REQ" or "REQUEST_HEADER" or "RESP" or "RESPONSE_HEADER" or "TRAILER" or "RESPONSE_TRAILER";
        if ((isHeader || command == "ENVIRONMENT") && string.IsNullOrEmpty(arg))
        {
            error = $"Invalid header configuration. Format string contains empty header name for %{command}%";
            return false;
        }

        string? text = command switch
        {
            "START_TIME" or "START_TIME_LOCAL" => string.IsNullOrEmpty(arg) ? null : arg,
            "HOSTNAME" => Environment.MachineName,
            "ENVIRONMENT" => Environment.GetEnvironmentVariable(arg!),
            _ => null,
        };

        segment = new Segment(kind, text, maxLength);
        return true;
    }

    private static bool TryBuildTree(List<(string[] Path, Segment[] Value)> entries, int depth, out JsonNode[] nodes, out string? error)
    {
        var result = new List<JsonNode>();
        error = null;
        foreach (var group in entries.GroupBy(e => e.Path[depth], StringComparer.Ordinal))
        {
            var items = group.ToList();
            var leaves = items.Where(e => e.Path.Length == depth + 1).ToList();
            var nested = items.Where(e => e.Path.Length > depth + 1).ToList();
            if (leaves.Count > 0 && nested.Count > 0)
            {
                error = $"json_format key '{group.Key}' is both a value and a nested object";
                nodes = [];
                return false;
            }

            if (leaves.Count > 0)
            {
                result.Add(new JsonNode(JsonEncodedText.Encode(group.Key, JavaScriptEncoder.UnsafeRelaxedJsonEscaping), leaves[0].Value, null));
            }
            else
            {
                if (!TryBuildTree(nested, depth + 1, out var children, out error))
                {
                    nodes = [];
                    return false;
                }

                result.Add(new JsonNode(JsonEncodedText.Encode(group.Key, JavaScriptEncoder.UnsafeRelaxedJsonEscaping), null, children));
            }
        }

        nodes = [.. result];
        return true;
    }

    private readonly record struct Segment(Op Op, string? Text, int MaxLength);

    private sealed record JsonNode(JsonEncodedText Name, Segment[]? Value, JsonNode[]? Children);

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
