using System.Collections.Immutable;
using System.Globalization;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Configuration.Binding;

/// <summary>Binds one <c>health_checks[]</c> entry (<c>envoy.config.core.v3.HealthCheck</c>, spec 3.3).</summary>
internal static class HealthCheckBinder
{
    /// <summary>What to write instead of an entry with no checker, two checkers or an unsupported one.</summary>
    public const string CheckerFix =
        "pick one checker per entry: for apiservers an HTTPS GET /readyz (http_health_check: {path: /readyz} plus "
        + "transport_socket_match_criteria selecting a TLS transport_socket_matches entry), or tcp_health_check: {} "
        + "for a plain connect check; Envoy 1.35 allows only one health_checks entry";

    public static HealthCheckConfig? Bind(BindContext ctx, MessageReader m)
    {
        var errorsBefore = ctx.ErrorCount;
        var timeout = RequiredDuration(ctx, m, "timeout", "add timeout: \"5s\"");
        var interval = RequiredDuration(ctx, m, "interval", "add interval: \"10s\"");
        var initialJitter = m.Duration("initial_jitter");
        var intervalJitter = m.Duration("interval_jitter");
        var intervalJitterPercent = m.UInt32("interval_jitter_percent");
        var unhealthyThreshold = RequiredThreshold(ctx, m, "unhealthy_threshold", "add unhealthy_threshold: 3");
        var healthyThreshold = RequiredThreshold(ctx, m, "healthy_threshold", "add healthy_threshold: 2");
        var reuseConnection = m.BoolValue("reuse_connection");
        var noTrafficInterval = m.Duration("no_traffic_interval", positive: true);
        var noTrafficHealthyInterval = m.Duration("no_traffic_healthy_interval", positive: true);
        var unhealthyInterval = m.Duration("unhealthy_interval", positive: true);
        var unhealthyEdgeInterval = m.Duration("unhealthy_edge_interval", positive: true);
        var healthyEdgeInterval = m.Duration("healthy_edge_interval", positive: true);
        var eventLogPathField = m.Find("event_log_path");
        var eventLogPath = ProtoValues.String(ctx, eventLogPathField);
        if (eventLogPath is not null)
        {
            ctx.Deprecated(eventLogPathField.Line, eventLogPathField.Path, "event_log_path", "Envoy's replacement is event_logger, which kubegate does not implement; event_log_path keeps working");
        }

        var alwaysLogFailures = m.Bool("always_log_health_check_failures") ?? false;
        var alwaysLogSuccess = m.Bool("always_log_health_check_success") ?? false;
        var alpn = EquatableArray<string>.Empty;
        var tlsOptions = m.Message("tls_options", ProtoTypes.TlsOptions);
        if (tlsOptions is not null)
        {
            alpn = tlsOptions.StringList("alpn_protocols");
            tlsOptions.Finish();
        }

        var criteria = ProtoValues.ScalarStruct(ctx, m.Find("transport_socket_match_criteria"));

        var http = m.Find("http_health_check");
        var tcp = m.Find("tcp_health_check");
        var grpc = m.Find("grpc_health_check");
        var custom = m.Find("custom_health_check");
        var checkers = new[] { http, tcp, grpc, custom }.Where(f => f.HasValue).ToList();
        if (checkers.Count > 1)
        {
            ctx.ParseError(
                m.Line,
                m.Path,
                $"'{checkers[0].Key}' and '{checkers[1].Key}' are both set in one health check; each entry has exactly one checker (oneof health_checker)",
                CheckerFix);
        }
        else if (checkers.Count == 0)
        {
            var nullChecker = new[] { http, tcp }.FirstOrDefault(f => f.IsExplicitNull);
            if (nullChecker.Name is not null)
            {
                ctx.Error(
                    nullChecker.Line,
                    nullChecker.Path,
                    $"'{nullChecker.Key}' is empty (null), so this health check has no checker",
                    $"write `{nullChecker.Key}: {{}}`");
            }
            else
            {
                ctx.Error(m.Line, m.Path, "a health check needs exactly one checker: http_health_check or tcp_health_check", CheckerFix);
            }
        }

        foreach (var unsupported in new[] { grpc, custom }.Where(f => f.HasValue))
        {
            ctx.Error(unsupported.Line, unsupported.Path, $"kubegate supports http_health_check and tcp_health_check, not {unsupported.Key}", CheckerFix);
        }

        var httpConfig = http.HasValue ? BindHttp(ctx, MessageReader.Open(ctx, http, ProtoTypes.HttpHealthCheck)) : null;
        var tcpConfig = tcp.HasValue ? BindTcp(ctx, MessageReader.Open(ctx, tcp, ProtoTypes.TcpHealthCheck)) : null;
        m.Finish();

        if (ctx.ErrorCount != errorsBefore || timeout is null || interval is null || unhealthyThreshold is null || healthyThreshold is null)
        {
            return null;
        }

        return new HealthCheckConfig
        {
            Timeout = timeout.Value,
            Interval = interval.Value,
            InitialJitter = initialJitter ?? TimeSpan.Zero,
            IntervalJitter = intervalJitter ?? TimeSpan.Zero,
            IntervalJitterPercent = intervalJitterPercent ?? 0,
            UnhealthyThreshold = unhealthyThreshold.Value,
            HealthyThreshold = healthyThreshold.Value,
            NoTrafficInterval = noTrafficInterval ?? HealthCheckConfig.DefaultNoTrafficInterval,
            NoTrafficHealthyInterval = noTrafficHealthyInterval,
            UnhealthyInterval = unhealthyInterval,
            UnhealthyEdgeInterval = unhealthyEdgeInterval,
            HealthyEdgeInterval = healthyEdgeInterval,
            ReuseConnection = reuseConnection ?? true,
            AlwaysLogHealthCheckFailures = alwaysLogFailures,
            AlwaysLogHealthCheckSuccess = alwaysLogSuccess,
            EventLogPath = eventLogPath,
            AlpnProtocols = alpn,
            TransportSocketMatchCriteria = criteria,
            Http = httpConfig,
            Tcp = tcpConfig,
            Location = ctx.Location(m.Line),
        };
    }

    private static TimeSpan? RequiredDuration(BindContext ctx, MessageReader m, string name, string fix)
    {
        var field = m.Find(name);
        if (!field.HasValue)
        {
            m.Missing(name, fix);
            return null;
        }

        return ProtoValues.Duration(ctx, field, positive: true);
    }

    private static uint? RequiredThreshold(BindContext ctx, MessageReader m, string name, string fix)
    {
        var field = m.Find(name);
        if (!field.HasValue)
        {
            m.Missing(name, fix, $"missing required field '{name}' (Envoy has no default for it)");
            return null;
        }

        return ProtoValues.UInt32(ctx, field, wrapper: true);
    }

    private static HttpHealthCheckConfig? BindHttp(BindContext ctx, MessageReader? m)
    {
        if (m is null)
        {
            return null;
        }

        var path = m.RequiredString("path", "add path: /readyz");
        var host = m.String("host");
        var methodField = m.Find("method");
        var method = ProtoValues.Enum(ctx, methodField, ProtoEnum.RequestMethod);
        if (method == 6)
        {
            ctx.Error(methodField.Line, methodField.Path, "method CONNECT is not allowed for health checks", "write method: GET (the default)");
        }

        var codecField = m.Find("codec_client_type");
        var codec = ProtoValues.Enum(ctx, codecField, ProtoEnum.CodecClientType);
        if (codec == 2)
        {
            ctx.Error(codecField.Line, codecField.Path, "kubegate's health checks speak HTTP/1.1 and HTTP/2, not HTTP/3", "write codec_client_type: HTTP1 (or HTTP2)");
        }

        var headersToAdd = BindHeaders(ctx, m, m.Find("request_headers_to_add"));
        var headersToRemove = m.StringList("request_headers_to_remove");
        var expected = BindRanges(ctx, m, m.Find("expected_statuses"));
        var retriable = BindRanges(ctx, m, m.Find("retriable_statuses"));
        m.Finish();

        return path is null
            ? null
            : new HttpHealthCheckConfig
            {
                Path = path,
                Host = string.IsNullOrEmpty(host) ? null : host,
                Method = method is null or 0 ? "GET" : ProtoEnum.RequestMethod.NameOf(method.Value),
                CodecClientType = codec == 1 ? CodecClientType.Http2 : CodecClientType.Http1,
                RequestHeadersToAdd = headersToAdd,
                RequestHeadersToRemove = headersToRemove,
                ExpectedStatuses = expected,
                RetriableStatuses = retriable,
            };
    }

    private static EquatableArray<HeaderValueOptionConfig> BindHeaders(BindContext ctx, MessageReader parent, Field field)
    {
        var builder = ImmutableArray.CreateBuilder<HeaderValueOptionConfig>();
        foreach (var element in ProtoValues.List(ctx, field))
        {
            var option = parent.Message(element, ProtoTypes.HeaderValueOption);
            if (option is null)
            {
                continue;
            }

            string? key = null;
            string? value = null;
            var header = option.Find("header");
            var headerMessage = MessageReader.Open(ctx, header, ProtoTypes.HeaderValue);
            if (headerMessage is null)
            {
                if (!header.HasValue)
                {
                    option.Missing("header", "write header: {key: <name>, value: <value>}");
                }
            }
            else
            {
                key = headerMessage.RequiredString("key", "write key: <header name>");
                value = headerMessage.String("value") ?? string.Empty;
                headerMessage.Finish();
            }

            var appendField = option.Find("append");
            var append = ProtoValues.Bool(ctx, appendField, wrapper: true);
            var actionField = option.Find("append_action");
            var action = ProtoValues.Enum(ctx, actionField, ProtoEnum.AppendAction);
            option.Finish();
            if (append is not null && actionField.HasValue)
            {
                ctx.Error(option.Line, option.Path, "Both append and append_action are set and it's not allowed", "keep append_action and remove the deprecated append");
                continue;
            }

            if (append is not null)
            {
                ctx.Deprecated(appendField.Line, appendField.Path, "append", append.Value ? "write append_action: APPEND_IF_EXISTS_OR_ADD" : "write append_action: OVERWRITE_IF_EXISTS_OR_ADD");
            }

            if (key is not null && value is not null)
            {
                builder.Add(new HeaderValueOptionConfig(key, value, append ?? (action ?? 0) == 0));
            }
        }

        return builder.ToImmutable();
    }

    private static EquatableArray<StatusRange> BindRanges(BindContext ctx, MessageReader parent, Field field)
    {
        var builder = ImmutableArray.CreateBuilder<StatusRange>();
        foreach (var element in ProtoValues.List(ctx, field))
        {
            if (element.Node is ConfigScalar { Kind: ScalarKind.Number or ScalarKind.String } scalar
                && long.TryParse(scalar.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var single))
            {
                ctx.ParseError(
                    element.Line,
                    element.Path,
                    $"{field.Key} entries are ranges {{start, end}} with end exclusive, found {scalar.Describe()}",
                    $"write {{start: {single}, end: {single + 1}}}");
                continue;
            }

            var range = parent.Message(element, ProtoTypes.Int64Range);
            if (range is null)
            {
                continue;
            }

            var startField = range.Find("start");
            var endField = range.Find("end");
            var start = ProtoValues.Int64(ctx, startField) ?? 0;
            var end = ProtoValues.Int64(ctx, endField) ?? 0;
            range.Finish();

            if (start >= end)
            {
                ctx.Error(
                    range.Line,
                    range.Path,
                    $"Invalid http status range: expecting start < end, but found start={start} and end={end}",
                    start == end && start < 600 ? $"end is exclusive: write {{start: {start}, end: {start + 1}}}" : "end is exclusive: write {start: 200, end: 300} for all of 2xx");
            }
            else if (start < 100)
            {
                ctx.Error(range.Line, range.Path, $"Invalid http status range: expecting start >= 100, but found start={start}");
            }
            else if (end > 600)
            {
                ctx.Error(range.Line, range.Path, $"Invalid http status range: expecting end <= 600, but found end={end}", "write end: 600 at most");
            }
            else
            {
                if (end % 100 == 99)
                {
                    ctx.Warning(
                        endField.Line,
                        endField.Path,
                        $"{{start: {start}, end: {end}}} excludes {end} (end is exclusive)",
                        $"write end: {end + 1} for all of {end / 100}xx");
                }

                builder.Add(new StatusRange(start, end));
            }
        }

        return builder.ToImmutable();
    }

    private static TcpHealthCheckConfig? BindTcp(BindContext ctx, MessageReader? m)
    {
        if (m is null)
        {
            return null;
        }

        var sendField = m.Find("send");
        var send = sendField.HasValue ? BindPayload(ctx, MessageReader.Open(ctx, sendField, ProtoTypes.Payload)) : [];
        var receive = ImmutableArray.CreateBuilder<EquatableArray<byte>>();
        var ok = send is not null;
        foreach (var element in m.List("receive"))
        {
            var block = BindPayload(ctx, m.Message(element, ProtoTypes.Payload));
            if (block is null)
            {
                ok = false;
            }
            else
            {
                receive.Add(block);
            }
        }

        m.Finish();
        return ok ? new TcpHealthCheckConfig { Send = send!, Receive = receive.ToImmutable() } : null;
    }

    private static byte[]? BindPayload(BindContext ctx, MessageReader? m)
    {
        if (m is null)
        {
            return null;
        }

        var textField = m.Find("text");
        var binaryField = m.Find("binary");
        m.Finish();
        if (textField.HasValue && binaryField.HasValue)
        {
            ctx.ParseError(binaryField.Line, m.Path, "'text' and 'binary' are both set; they are alternatives (oneof payload)", "keep one of them");
            return null;
        }

        if (textField.HasValue)
        {
            var text = ProtoValues.String(ctx, textField);
            if (text is null)
            {
                return null;
            }

            try
            {
                if (text.Length % 2 != 0)
                {
                    throw new FormatException();
                }

                return Convert.FromHexString(text);
            }
            catch (FormatException)
            {
                ctx.Error(
                    textField.Line,
                    textField.Path,
                    $"invalid hex string '{text}'",
                    "text is hex-encoded bytes (\"50494E47\" is PING); use binary: <base64> for base64");
                return null;
            }
        }

        if (binaryField.HasValue)
        {
            var base64 = ProtoValues.String(ctx, binaryField);
            if (base64 is null)
            {
                return null;
            }

            try
            {
                return Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                ctx.ParseError(binaryField.Line, binaryField.Path, $"invalid base64 '{base64}'", "binary is base64 (\"UElORw==\" is PING); use text: <hex> for hex");
                return null;
            }
        }

        ctx.Error(m.Line, m.Path, "a payload needs text (hex) or binary (base64)", "write text: \"50494E47\" (hex for PING)");
        return null;
    }
}
