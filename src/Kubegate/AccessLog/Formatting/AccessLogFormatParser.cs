using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kubegate.Infrastructure;

namespace Kubegate.AccessLog.Formatting;

/// <summary>
/// The access-log format language (Envoy's <c>SubstitutionFormatString</c>): parses text and JSON formats into a
/// <see cref="ParsedAccessLogFormat"/>. A leaf: config binding uses it to refuse a bad format, and the access log's
/// renderer (<c>AccessLogFormat</c>) renders what it parsed.
/// </summary>
internal static class AccessLogFormatParser
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

    /// <summary>
    /// Parses a format the way Envoy's <c>SubstitutionFormatParser</c> does: <paramref name="jsonFormat"/> when set,
    /// else <paramref name="textFormat"/>, else Envoy's default; on failure <paramref name="error"/> is Envoy's text.
    /// </summary>
    public static bool TryParse(string? textFormat, IEnumerable<KeyValuePair<string, string>>? jsonFormat, bool omitEmptyValues, out ParsedAccessLogFormat? format, out string? error)
    {
        format = null;
        if (jsonFormat is not null)
        {
            var nodes = new List<(string[] Path, FormatSegment[] Value)>();
            foreach (var (key, value) in jsonFormat)
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

            format = new ParsedAccessLogFormat(null, tree, omitEmptyValues);
            return true;
        }

        if (!TryParse(textFormat ?? DefaultTextFormat, out var text, out error))
        {
            return false;
        }

        format = new ParsedAccessLogFormat(text, null, omitEmptyValues);
        return true;
    }

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

    /// <summary>Parses a format string the way Envoy's <c>SubstitutionFormatParser</c> does.</summary>
    private static bool TryParse(string format, out FormatSegment[] segments, out string? error)
    {
        var list = new List<FormatSegment>();
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
                list.Add(new FormatSegment(FormatOp.Literal, literal.ToString(), 0));
                literal.Clear();
            }

            list.Add(segment);
            i = p + 1;
        }

        if (literal.Length > 0)
        {
            list.Add(new FormatSegment(FormatOp.Literal, literal.ToString(), 0));
        }

        segments = [.. list];
        return true;
    }

    private static bool Fail(string format, int position, out string? error)
    {
        error = $"Incorrect configuration: {format}. Couldn't find valid command at position {position}";
        return false;
    }

    private static bool TryCreate(string command, string? arg, int maxLength, out FormatSegment segment, out string? error)
    {
        error = null;
        FormatOp? op = command switch
        {
            "START_TIME" => FormatOp.StartTime,
            "START_TIME_LOCAL" => FormatOp.StartTimeLocal,
            "BYTES_RECEIVED" => FormatOp.BytesReceived,
            "BYTES_SENT" => FormatOp.BytesSent,
            "DURATION" => FormatOp.Duration,
            "RESPONSE_FLAGS" => FormatOp.ResponseFlags,
            "RESPONSE_FLAGS_LONG" => FormatOp.ResponseFlagsLong,
            "RESPONSE_CODE" => FormatOp.ResponseCode,
            "UPSTREAM_HOST" or "UPSTREAM_REMOTE_ADDRESS" => FormatOp.UpstreamHost,
            "UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT" => FormatOp.UpstreamHostWithoutPort,
            "UPSTREAM_REMOTE_PORT" => FormatOp.UpstreamHostPort,
            "UPSTREAM_CLUSTER" => FormatOp.UpstreamCluster,
            "UPSTREAM_LOCAL_ADDRESS" => FormatOp.UpstreamLocalAddress,
            "UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT" => FormatOp.UpstreamLocalAddressWithoutPort,
            "UPSTREAM_LOCAL_PORT" => FormatOp.UpstreamLocalPort,
            "UPSTREAM_TRANSPORT_FAILURE_REASON" => FormatOp.UpstreamTransportFailureReason,
            "DOWNSTREAM_REMOTE_ADDRESS" or "DOWNSTREAM_DIRECT_REMOTE_ADDRESS" => FormatOp.DownstreamRemoteAddress,
            "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT" or "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT" => FormatOp.DownstreamRemoteAddressWithoutPort,
            "DOWNSTREAM_REMOTE_PORT" or "DOWNSTREAM_DIRECT_REMOTE_PORT" => FormatOp.DownstreamRemotePort,
            "DOWNSTREAM_LOCAL_ADDRESS" => FormatOp.DownstreamLocalAddress,
            "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT" => FormatOp.DownstreamLocalAddressWithoutPort,
            "DOWNSTREAM_LOCAL_PORT" => FormatOp.DownstreamLocalPort,
            "CONNECTION_ID" => FormatOp.ConnectionId,
            "CONNECTION_TERMINATION_DETAILS" => FormatOp.ConnectionTerminationDetails,
            "REQUESTED_SERVER_NAME" => FormatOp.RequestedServerName,
            "UPSTREAM_REQUEST_ATTEMPT_COUNT" => FormatOp.UpstreamRequestAttemptCount,
            "HOSTNAME" or "ENVIRONMENT" => FormatOp.Constant,
            "PROTOCOL" or "RESPONSE_CODE_DETAILS" or "REQUEST_DURATION" or "RESPONSE_DURATION" or "RESPONSE_TX_DURATION"
                or "DOWNSTREAM_LOCAL_CLOSE_REASON" => FormatOp.Dash,
            "REQ" or "REQUEST_HEADER" or "RESP" or "RESPONSE_HEADER" or "TRAILER" or "RESPONSE_TRAILER" => FormatOp.Dash,
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

        segment = new FormatSegment(kind, text, maxLength);
        return true;
    }

    private static bool TryBuildTree(List<(string[] Path, FormatSegment[] Value)> entries, int depth, out FormatJsonNode[] nodes, out string? error)
    {
        var result = new List<FormatJsonNode>();
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
                result.Add(new FormatJsonNode(JsonEncodedText.Encode(group.Key, JavaScriptEncoder.UnsafeRelaxedJsonEscaping), leaves[0].Value, null));
            }
            else
            {
                if (!TryBuildTree(nested, depth + 1, out var children, out error))
                {
                    nodes = [];
                    return false;
                }

                result.Add(new FormatJsonNode(JsonEncodedText.Encode(group.Key, JavaScriptEncoder.UnsafeRelaxedJsonEscaping), null, children));
            }
        }

        nodes = [.. result];
        return true;
    }
}
