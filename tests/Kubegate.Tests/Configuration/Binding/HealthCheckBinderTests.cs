using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration.Binding;

public class HealthCheckBinderTests
{
    private const string Check = "resources[0].health_checks[0]";

    private const string TlsMatch = """
        transport_socket_matches:
        - name: tls
          match: {tls: true}
          transport_socket:
            name: envoy.transport_sockets.tls
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        """;

    [Fact]
    public void Load_HttpsReadyzCheck_BindsEveryField()
    {
        var result = LoadWithCluster(TlsMatch + """

            health_checks:
            - timeout: 2s
              interval: 5s
              initial_jitter: 1s
              interval_jitter: 0.5s
              interval_jitter_percent: 10
              unhealthy_threshold: 3
              healthy_threshold: 2
              reuse_connection: false
              no_traffic_interval: 20s
              no_traffic_healthy_interval: 30s
              unhealthy_interval: 7s
              unhealthy_edge_interval: 8s
              healthy_edge_interval: 9s
              always_log_health_check_failures: true
              always_log_health_check_success: true
              tls_options: {alpn_protocols: [http/1.1]}
              transport_socket_match_criteria: {tls: true}
              http_health_check:
                path: /readyz
                host: kubernetes
                method: HEAD
                codec_client_type: HTTP2
                request_headers_to_add:
                - header: {key: x-probe, value: kubegate}
                  append_action: OVERWRITE_IF_EXISTS_OR_ADD
                - header: {key: x-extra, value: "1"}
                request_headers_to_remove: [user-agent]
                expected_statuses: [{start: 200, end: 300}]
                retriable_statuses: [{start: 503, end: 504}]
            """);

        ProblemAssert.Clean(result);
        var healthCheck = result.Snapshot!.Clusters.Single().HealthChecks.Single();
        Assert.Equal(TimeSpan.FromSeconds(2), healthCheck.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(5), healthCheck.Interval);
        Assert.Equal(TimeSpan.FromSeconds(1), healthCheck.InitialJitter);
        Assert.Equal(TimeSpan.FromMilliseconds(500), healthCheck.IntervalJitter);
        Assert.Equal(10u, healthCheck.IntervalJitterPercent);
        Assert.Equal(3u, healthCheck.UnhealthyThreshold);
        Assert.Equal(2u, healthCheck.HealthyThreshold);
        Assert.False(healthCheck.ReuseConnection);
        Assert.Equal(TimeSpan.FromSeconds(20), healthCheck.NoTrafficInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), healthCheck.NoTrafficHealthyInterval);
        Assert.Equal(TimeSpan.FromSeconds(7), healthCheck.UnhealthyInterval);
        Assert.Equal(TimeSpan.FromSeconds(8), healthCheck.UnhealthyEdgeInterval);
        Assert.Equal(TimeSpan.FromSeconds(9), healthCheck.HealthyEdgeInterval);
        Assert.True(healthCheck.AlwaysLogHealthCheckFailures);
        Assert.True(healthCheck.AlwaysLogHealthCheckSuccess);
        Assert.Equal(["http/1.1"], healthCheck.AlpnProtocols);
        Assert.Equal("true", healthCheck.TransportSocketMatchCriteria["tls"]);
        Assert.Null(healthCheck.Tcp);
        var http = healthCheck.Http!;
        Assert.Equal("/readyz", http.Path);
        Assert.Equal("kubernetes", http.Host);
        Assert.Equal("HEAD", http.Method);
        Assert.Equal(CodecClientType.Http2, http.CodecClientType);
        Assert.Equal([new HeaderValueOptionConfig("x-probe", "kubegate", false), new HeaderValueOptionConfig("x-extra", "1", true)], http.RequestHeadersToAdd.ToList());
        Assert.Equal(["user-agent"], http.RequestHeadersToRemove);
        Assert.Equal([new StatusRange(200, 300)], http.ExpectedStatuses.ToList());
        Assert.Equal([new StatusRange(503, 504)], http.RetriableStatuses.ToList());

        var cluster = result.Snapshot.Clusters.Single();
        Assert.NotNull(cluster.SelectHealthCheckTransportSocket(healthCheck)!.Tls);
    }

    [Fact]
    public void Load_HttpCheckDefaults_MatchEnvoy()
    {
        var result = LoadWithCluster("health_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: {path: /healthz}}]");

        var healthCheck = result.Snapshot!.Clusters.Single().HealthChecks.Single();
        Assert.Equal(TimeSpan.FromSeconds(60), healthCheck.NoTrafficInterval);
        Assert.True(healthCheck.ReuseConnection);
        Assert.Equal("GET", healthCheck.Http!.Method);
        Assert.Null(healthCheck.Http.Host);
        Assert.Equal(CodecClientType.Http1, healthCheck.Http.CodecClientType);
        Assert.True(healthCheck.Http.ExpectedStatuses.IsEmpty);
    }

    [Fact]
    public void Load_TcpCheckPayloads_DecodeHexAndBase64()
    {
        var result = LoadWithCluster("""
            health_checks:
            - timeout: 1s
              interval: 1s
              unhealthy_threshold: 2
              healthy_threshold: 1
              tcp_health_check:
                send: {text: "50494e47"}
                receive: [{text: "504F4E47"}, {binary: "IQ=="}]
            """);

        ProblemAssert.Clean(result);
        var tcp = result.Snapshot!.Clusters.Single().HealthChecks.Single().Tcp!;
        Assert.Equal("PING"u8.ToArray(), tcp.Send.ToArray());
        Assert.Equal(["PONG", "!"], tcp.Receive.Select(b => System.Text.Encoding.ASCII.GetString(b.AsSpan())));
    }

    [Fact]
    public void Load_TcpCheckWithBadHex_UsesEnvoysMessage()
    {
        var result = LoadWithCluster("health_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, tcp_health_check: {send: {text: PING}}}]");

        Assert.Equal("invalid hex string 'PING'", ProblemAssert.Error(result, Check + ".tcp_health_check.send.text").Message);
    }

    [Fact]
    public void Load_EmptyTcpCheck_IsAConnectOnlyCheck()
    {
        var result = LoadWithCluster("health_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, tcp_health_check: {}}]");

        ProblemAssert.Clean(result);
        var tcp = result.Snapshot!.Clusters.Single().HealthChecks.Single().Tcp!;
        Assert.True(tcp.Send.IsEmpty);
        Assert.True(tcp.Receive.IsEmpty);
    }

    [Fact]
    public void Load_TcpCheckWrittenAsNull_SaysToWriteEmptyBraces()
    {
        var result = LoadWithCluster("health_checks:\n- timeout: 1s\n  interval: 1s\n  unhealthy_threshold: 1\n  healthy_threshold: 1\n  tcp_health_check:\n");

        Assert.Equal("write `tcp_health_check: {}`", ProblemAssert.Error(result, Check + ".tcp_health_check").Fix);
    }

    [Theory]
    [InlineData("timeout", "add timeout: \"5s\"")]
    [InlineData("interval", "add interval: \"10s\"")]
    [InlineData("unhealthy_threshold", "add unhealthy_threshold: 3")]
    [InlineData("healthy_threshold", "add healthy_threshold: 2")]
    public void Load_RequiredHealthCheckField_Missing(string field, string fix)
    {
        var fields = new Dictionary<string, string> { ["timeout"] = "1s", ["interval"] = "1s", ["unhealthy_threshold"] = "3", ["healthy_threshold"] = "2" };
        fields.Remove(field);
        var result = LoadWithCluster("health_checks:\n- tcp_health_check: {}\n" + string.Concat(fields.Select(f => $"  {f.Key}: {f.Value}\n")));

        var error = ProblemAssert.Error(result, $"{Check}.{field}");
        Assert.StartsWith($"missing required field '{field}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(fix, error.Fix);
    }

    [Fact]
    public void Load_GrpcHealthCheck_IsNotSupported()
    {
        var result = LoadWithCluster("health_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, grpc_health_check: {}}]");

        Assert.Equal("kubegate supports http_health_check and tcp_health_check, not grpc_health_check", ProblemAssert.Error(result, Check + ".grpc_health_check").Message);
    }

    [Fact]
    public void Load_NoChecker_IsAnError()
    {
        var result = LoadWithCluster("health_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1}]");

        Assert.Equal("a health check needs exactly one checker: http_health_check or tcp_health_check", ProblemAssert.Error(result, Check).Message);
    }

    [Fact]
    public void Load_HttpCheckWithoutPath_IsAnError()
    {
        var result = LoadWithCluster("health_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: {host: x}}]");

        Assert.Equal("add path: /readyz", ProblemAssert.Error(result, Check + ".http_health_check.path").Fix);
    }

    [Theory]
    [InlineData("{start: 200, end: 200}", "Invalid http status range: expecting start < end, but found start=200 and end=200")]
    [InlineData("{start: 300, end: 200}", "Invalid http status range: expecting start < end, but found start=300 and end=200")]
    [InlineData("{start: 99, end: 200}", "Invalid http status range: expecting start >= 100, but found start=99")]
    [InlineData("{start: 200, end: 601}", "Invalid http status range: expecting end <= 600, but found end=601")]
    public void Load_InvalidStatusRange_UsesEnvoysMessages(string range, string message)
    {
        var result = LoadWithCluster($"health_checks: [{{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: {{path: /readyz, expected_statuses: [{range}]}}}}]");

        Assert.Equal(message, ProblemAssert.Error(result, Check + ".http_health_check.expected_statuses[0]").Message);
    }

    [Fact]
    public void Load_EmptyStatusRange_FixExplainsEndIsExclusive()
    {
        var result = LoadWithCluster("health_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: {path: /readyz, expected_statuses: [{start: 200, end: 200}]}}]");

        Assert.Equal("end is exclusive: write {start: 200, end: 201}", ProblemAssert.Error(result, Check + ".http_health_check.expected_statuses[0]").Fix);
    }

    [Fact]
    public void Load_HeaderWithAppendAndAppendAction_IsRefusedAsInEnvoy()
    {
        var result = LoadWithCluster("health_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: {path: /readyz, request_headers_to_add: [{header: {key: a, value: b}, append: true, append_action: ADD_IF_ABSENT}]}}]");

        Assert.Equal("Both append and append_action are set and it's not allowed", ProblemAssert.Error(result, Check + ".http_health_check.request_headers_to_add[0]").Message);
    }

    [Fact]
    public void Load_MatchCriteriaMatchingNoEntry_IsAnError()
    {
        var result = LoadWithCluster(TlsMatch + "\nhealth_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, transport_socket_match_criteria: {tls: yes-please}, http_health_check: {path: /readyz}}]");

        var error = ProblemAssert.Error(result, Check + ".transport_socket_match_criteria");
        Assert.StartsWith("transport_socket_match_criteria {tls: yes-please} matches no transport_socket_matches entry", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PlaintextHttpCheckOnApiserverPort_WarnsHowToEnableTls()
    {
        var result = LoadWithCluster("health_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: {path: /readyz}}]");

        var warning = ProblemAssert.Warning(result, Check + ".http_health_check");
        Assert.Contains("port 6443", warning.Message, StringComparison.Ordinal);
        Assert.Contains("transport_socket_matches", warning.Fix, StringComparison.Ordinal);
        Assert.Contains("transport_socket_match_criteria: {tls: true}", warning.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_HttpCheckWithTlsSelected_DoesNotWarn()
    {
        var result = LoadWithCluster(TlsMatch + "\nhealth_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, transport_socket_match_criteria: {tls: true}, http_health_check: {path: /readyz}}]");

        ProblemAssert.Clean(result);
    }

    [Fact]
    public void Load_DeprecatedEventLogPath_IsKeptWithAWarning()
    {
        var result = LoadWithCluster("health_checks: [{timeout: 1s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, event_log_path: /var/log/hc.log, tcp_health_check: {}}]");

        ProblemAssert.Warning(result, Check + ".event_log_path");
        Assert.Equal("/var/log/hc.log", result.Snapshot!.Clusters.Single().HealthChecks.Single().EventLogPath);
    }

    [Fact]
    public void Load_ZeroTimeout_MustBePositive()
    {
        var result = LoadWithCluster("health_checks: [{timeout: 0s, interval: 1s, unhealthy_threshold: 1, healthy_threshold: 1, tcp_health_check: {}}]");

        Assert.Equal("must be greater than 0s", ProblemAssert.Error(result, Check + ".timeout").Message);
    }

    private static ConfigLoadResult LoadWithCluster(string extra)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster(extra);
        return files.Load();
    }
}
