using System.Net;
using System.Text;
using Kubegate.AccessLog;
using Kubegate.AccessLog.Formatting;
using Kubegate.Configuration;
using Kubegate.Proxy;

namespace Kubegate.Tests.AccessLog;

public class AccessLogFormatTests
{
    private static readonly AccessLogRecord Record = new()
    {
        StartTime = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero).AddTicks(1234567),
        Duration = TimeSpan.FromMilliseconds(2.7),
        BytesReceived = 517,
        BytesSent = 1234,
        ResponseFlags = ResponseFlags.UpstreamRetryLimitExceeded | ResponseFlags.UpstreamConnectionFailure,
        UpstreamHost = new IPEndPoint(IPAddress.Loopback, 9001),
        UpstreamCluster = "kube",
        UpstreamLocalAddress = new IPEndPoint(IPAddress.Loopback, 40000),
        UpstreamTransportFailureReason = "delayed_connect_error:_Connection_refused",
        DownstreamRemoteAddress = new IPEndPoint(IPAddress.IPv6Loopback, 51000),
        DownstreamLocalAddress = new IPEndPoint(IPAddress.Loopback, 6443),
        ConnectionId = 7,
        RequestedServerName = "kubernetes.default",
        UpstreamRequestAttemptCount = 2,
    };

    private static readonly AccessLogRecord Empty = new() { StartTime = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero) };

    private static string Render(string format, AccessLogRecord? record = null)
    {
        Assert.True(AccessLogFormat.TryCompileText(format, out var compiled, out var error), error);
        var sb = new StringBuilder();
        compiled!.Render(record ?? Record, sb);
        return sb.ToString();
    }

    [Theory]
    [InlineData("%START_TIME%", "2026-01-01T10:00:00.123Z")]
    [InlineData("%BYTES_RECEIVED%", "517")]
    [InlineData("%BYTES_SENT%", "1234")]
    [InlineData("%DURATION%", "2")]
    [InlineData("%RESPONSE_FLAGS%", "UF,URX")]
    [InlineData("%RESPONSE_FLAGS_LONG%", "UpstreamConnectionFailure,UpstreamRetryLimitExceeded")]
    [InlineData("%RESPONSE_CODE%", "0")]
    [InlineData("%UPSTREAM_HOST%", "127.0.0.1:9001")]
    [InlineData("%UPSTREAM_REMOTE_ADDRESS%", "127.0.0.1:9001")]
    [InlineData("%UPSTREAM_CLUSTER%", "kube")]
    [InlineData("%UPSTREAM_LOCAL_ADDRESS%", "127.0.0.1:40000")]
    [InlineData("%UPSTREAM_TRANSPORT_FAILURE_REASON%", "delayed_connect_error:_Connection_refused")]
    [InlineData("%DOWNSTREAM_REMOTE_ADDRESS%", "[::1]:51000")]
    [InlineData("%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", "::1")]
    [InlineData("%DOWNSTREAM_DIRECT_REMOTE_ADDRESS%", "[::1]:51000")]
    [InlineData("%DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT%", "::1")]
    [InlineData("%DOWNSTREAM_LOCAL_ADDRESS%", "127.0.0.1:6443")]
    [InlineData("%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%", "127.0.0.1")]
    [InlineData("%CONNECTION_ID%", "7")]
    [InlineData("%CONNECTION_TERMINATION_DETAILS%", "-")]
    [InlineData("%REQUESTED_SERVER_NAME%", "kubernetes.default")]
    [InlineData("%REQUESTED_SERVER_NAME:4%", "kube")]
    [InlineData("%UPSTREAM_REQUEST_ATTEMPT_COUNT%", "2")]
    [InlineData("%PROTOCOL% %RESPONSE_CODE_DETAILS% %REQUEST_DURATION% %RESPONSE_DURATION%", "- - - -")]
    [InlineData("%REQ(:METHOD)% %REQUEST_HEADER(X-A?Y-B):3% %RESP(X)% %RESPONSE_HEADER(X)% %TRAILER(X)%", "- - - - -")]
    [InlineData("100%% %ENVIRONMENT(KUBEGATE_SURELY_UNSET_VAR)%", "100% -")]
    public void Render_Operator_MatchesEnvoy(string format, string expected) => Assert.Equal(expected, Render(format));

    [Theory]
    [InlineData("%UPSTREAM_HOST% %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %RESPONSE_FLAGS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME%", "- - - - - -")]
    [InlineData("%BYTES_RECEIVED% %UPSTREAM_REQUEST_ATTEMPT_COUNT%", "0 0")]
    public void Render_UnsetValues_AreDash(string format, string expected) => Assert.Equal(expected, Render(format, Empty));

    [Fact]
    public void Render_HostnameAndEnvironment_ResolvedAtCompile()
    {
        Environment.SetEnvironmentVariable("KUBEGATE_TEST_ACCESSLOG", "abcdef");
        Assert.Equal("abcdef abc", Render("%ENVIRONMENT(KUBEGATE_TEST_ACCESSLOG)% %ENVIRONMENT(KUBEGATE_TEST_ACCESSLOG):3%"));
        Assert.Equal(Environment.MachineName, Render("%HOSTNAME%"));
    }

    [Theory]
    [InlineData("%START_TIME(%Y/%m/%d %H:%M:%S)%", "2026/01/01 10:00:00")]
    [InlineData("%START_TIME(%f)%", "123456700")]
    [InlineData("%START_TIME(%3f)%", "123")]
    [InlineData("%START_TIME(%6f)%", "123456")]
    [InlineData("%START_TIME(%9f)%", "123456700")]
    [InlineData("%START_TIME(%s)%", "1767261600")]
    [InlineData("%START_TIME(%s.%3f)%", "1767261600.123")]
    [InlineData("%START_TIME(%E3S|%E6S|%E*S)%", "00.123|00.123456|00.1234567")]
    [InlineData("%START_TIME(%y %b %a %j %z %Z %T %F %e %p)%", "26 Jan Thu 001 +0000 UTC 10:00:00 2026-01-01  1 AM")]
    public void Render_StartTimeFormats(string format, string expected) => Assert.Equal(expected, Render(format));

    [Fact]
    public void Render_SeedFormat_MatchesEnvoyTcpLine()
    {
        const string seed = "[%START_TIME%] %REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL% %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %UPSTREAM_HOST% %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT% %REQ(X-FORWARDED-FOR)% %REQ(USER-AGENT)% %REQ(X-REQUEST-ID)% %REQ(:AUTHORITY)% %UPSTREAM_TRANSPORT_FAILURE_REASON%\n";
        Assert.Equal(
            "[2026-01-01T10:00:00.123Z] - - - 0 UF,URX 517 1234 2 - ::1 127.0.0.1:9001 kube 127.0.0.1:40000 127.0.0.1 - - - - delayed_connect_error:_Connection_refused\n",
            Render(seed));
    }

    [Fact]
    public void Render_DefaultFormat_WhenNoneConfigured()
    {
        var config = new AccessLogConfig { Name = "stdout", TypeUrl = "t" };
        Assert.True(AccessLogFormat.TryCompile(config, out var format, out _));
        var sb = new StringBuilder();
        format!.Render(Record, sb);
        Assert.Equal("[2026-01-01T10:00:00.123Z] \"- - -\" 0 UF,URX 517 1234 2 - \"-\" \"-\" \"-\" \"-\" \"127.0.0.1:9001\"\n", sb.ToString());
    }

    [Fact]
    public void Render_Json_NestsDottedKeysAndTypesNumbers()
    {
        var config = new AccessLogConfig
        {
            Name = "stdout",
            TypeUrl = "t",
            JsonFormat = new EquatableDictionary<string>(new Dictionary<string, string>
            {
                ["start"] = "%START_TIME%",
                ["bytes.rx"] = "%BYTES_RECEIVED%",
                ["bytes.tx"] = "%BYTES_SENT%",
                ["duration"] = "%DURATION%",
                ["upstream.host"] = "%UPSTREAM_HOST%",
                ["upstream.cluster"] = "cluster=%UPSTREAM_CLUSTER%",
                ["details"] = "%CONNECTION_TERMINATION_DETAILS%",
            }),
        };
        Assert.True(AccessLogFormat.TryCompile(config, out var format, out _));
        var sb = new StringBuilder();
        format!.Render(Record, sb);
        format.Render(Record, sb);
        var line = "{\"bytes\":{\"rx\":517,\"tx\":1234},\"details\":\"-\",\"duration\":2,\"start\":\"2026-01-01T10:00:00.123Z\",\"upstream\":{\"cluster\":\"cluster=kube\",\"host\":\"127.0.0.1:9001\"}}\n";
        Assert.Equal(line + line, sb.ToString());

        Assert.True(AccessLogFormat.TryCompile(config with { OmitEmptyValues = true }, out format, out _));
        sb.Clear();
        format!.Render(Empty, sb);
        Assert.Equal("{\"bytes\":{\"rx\":0,\"tx\":0},\"duration\":0,\"start\":\"2026-01-01T10:00:00.000Z\",\"upstream\":{\"cluster\":\"cluster=-\"}}\n", sb.ToString());
    }

    [Theory]
    [InlineData("[%START_TIME%] %UNKNOWN_OPERATOR%\n", "Not supported field in StreamInfo: UNKNOWN_OPERATOR")]
    [InlineData("%UPSTREAM_HOSTS%", "Not supported field in StreamInfo: UPSTREAM_HOSTS")]
    [InlineData("abc %START_TIME", "Incorrect configuration: abc %START_TIME. Couldn't find valid command at position 4")]
    public void TryCompile_Invalid_ReturnsEnvoyError(string format, string expected)
    {
        Assert.False(AccessLogFormat.TryCompileText(format, out var compiled, out var error));
        Assert.Null(compiled);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void ClosestOperator_SuggestsNearest()
    {
        Assert.Equal("UPSTREAM_HOST", AccessLogFormatParser.ClosestOperator("UPSTREAM_HOSTS"));
        Assert.Equal("BYTES_SENT", AccessLogFormatParser.ClosestOperator("BYTE_SENT"));
    }

    [Theory]
    [InlineData("%UPSTREAM_CLUSTER:3%", "ab")]
    [InlineData("%UPSTREAM_CLUSTER:4%", "ab\U0001F600")]
    [InlineData("%UPSTREAM_CLUSTER:2%", "ab")]
    public void Render_MaxLengthInsideASurrogatePair_DropsTheWholeCharacter(string format, string expected) =>
        Assert.Equal(expected, Render(format, new AccessLogRecord { UpstreamCluster = "ab\U0001F600c" }));
}
