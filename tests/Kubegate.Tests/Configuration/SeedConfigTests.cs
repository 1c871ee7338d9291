using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration;

/// <summary>
/// The snippets of the original (seed) description, verbatim, each producing the intended error or warning with a
/// concrete fix.
/// </summary>
public class SeedConfigTests
{
    private const string SeedBootstrap = """
        node:
          cluster: k8s_cluster_proxy
          id: k8s_cluster_proxy

        dynamic_resources:
          lds_config:
            path_config_source:
              path: "./lds.yaml"
          cds_config:
            path_config_source:
              path: "./cds.yaml"

        admin:
          access_log_path: "/dev/null"
          address:
            socket_address:
              address: 0.0.0.0
              port_value: 10000
        """;

    private const string SeedHealthChecks = """
        health_checks:
        - timeout: {seconds: 3}
          interval: {seconds: 10}
          unhealthy_threshold: {value: 3}
          healthy_threshold: {value: 2}
          http_health_check:
            path: "/healthz"
            expected_statuses:
            - start: 200
              end: 299
          tcp_health_check: {}
        """;

    private const string SeedOutlierDetection = """
        outlier_detection:
          consecutive_5xx: {value: 5}
          base_ejection_time: {seconds: 30}
          max_ejection_percent: 50
          min_health_percent: 50
        """;

    private const string SeedRetryPolicy = """
        retry_policy:
          retry_on: connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes
          num_retries: 3
          per_try_timeout: {seconds: 5}
          retriable_status_codes: [500, 502, 503, 504]
        """;

    private const string HealthCheck = "resources[0].health_checks[0]";

    [Fact]
    public void Load_SeedBootstrap_LoadsFromItsFolderWithWarnings()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", SeedBootstrap);

        var result = files.Load();

        Assert.NotNull(result.Snapshot);
        Assert.Contains("deprecated", ProblemAssert.Warning(result, "admin.access_log_path").Message, StringComparison.Ordinal);
        Assert.Contains("no authentication", ProblemAssert.Warning(result, "admin.address.socket_address.address").Message, StringComparison.Ordinal);
        Assert.Equal("./lds.yaml", result.Snapshot.Bootstrap.LdsConfig!.Path);
    }

    [Fact]
    public void Load_SeedHealthCheck_ReportsEveryMistakeWithAFix()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster(SeedHealthChecks);

        var result = files.Load();

        var oneof = ProblemAssert.Error(result, HealthCheck);
        Assert.Equal(files.LineOf("cds.yaml", "- timeout"), oneof.Line);
        Assert.Contains("'http_health_check' and 'tcp_health_check' are both set", oneof.Message, StringComparison.Ordinal);
        Assert.Contains("HTTPS GET /readyz", oneof.Fix, StringComparison.Ordinal);
        Assert.Contains("transport_socket_match_criteria", oneof.Fix, StringComparison.Ordinal);
        Assert.Contains("tcp_health_check: {}", oneof.Fix, StringComparison.Ordinal);
        Assert.Contains("Envoy 1.35 allows only one health_checks entry", oneof.Fix, StringComparison.Ordinal);

        Assert.Equal("write \"3s\"", ProblemAssert.Single(result, HealthCheck + ".timeout").Fix);
        Assert.Equal("write \"10s\"", ProblemAssert.Single(result, HealthCheck + ".interval").Fix);
        Assert.Equal("write `unhealthy_threshold: 3` (wrapper types are plain values)", ProblemAssert.Single(result, HealthCheck + ".unhealthy_threshold").Fix);
        Assert.Equal("write `healthy_threshold: 2` (wrapper types are plain values)", ProblemAssert.Single(result, HealthCheck + ".healthy_threshold").Fix);

        var range = ProblemAssert.Warning(result, HealthCheck + ".http_health_check.expected_statuses[0].end");
        Assert.Equal("{start: 200, end: 299} excludes 299 (end is exclusive)", range.Message);
        Assert.Equal("write end: 300 for all of 2xx", range.Fix);
        Assert.Equal(files.LineOf("cds.yaml", "end: 299"), range.Line);
    }

    [Fact]
    public void Load_SeedHealthCheckSplitIntoTwoEntries_MultipleHealthChecksNotSupported()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            health_checks:
            - timeout: 3s
              interval: 10s
              unhealthy_threshold: 3
              healthy_threshold: 2
              http_health_check: {path: /healthz}
            - timeout: 3s
              interval: 10s
              unhealthy_threshold: 3
              healthy_threshold: 2
              tcp_health_check: {}
            """);

        var result = files.Load();

        var error = ProblemAssert.Error(result, "resources[0].health_checks");
        Assert.Equal("Multiple health checks not supported", error.Message);
        Assert.Equal(files.LineOf("cds.yaml", "- timeout", 2), error.Line);
        Assert.Contains("Envoy 1.35 allows only one health_checks entry", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SeedExpectedStatusesAsBareNumber_SaysToWriteARange()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("health_checks: [{timeout: 3s, interval: 10s, unhealthy_threshold: 3, healthy_threshold: 2, http_health_check: {path: /readyz, expected_statuses: [200]}}]");

        var error = ProblemAssert.Error(files.Load(), HealthCheck + ".http_health_check.expected_statuses[0]");

        Assert.Equal("write {start: 200, end: 201}", error.Fix);
    }

    [Fact]
    public void Load_SeedOutlierDetection_WrappersDurationsAndMinHealthPercent()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster(SeedOutlierDetection);

        var result = files.Load();

        Assert.Equal("write `consecutive_5xx: 5` (wrapper types are plain values)", ProblemAssert.Error(result, "resources[0].outlier_detection.consecutive_5xx").Fix);
        Assert.Equal("write \"30s\"", ProblemAssert.Error(result, "resources[0].outlier_detection.base_ejection_time").Fix);
        var unknown = ProblemAssert.Warning(result, "resources[0].outlier_detection.min_health_percent");
        Assert.True(unknown.IsUnknownField);
        Assert.Equal("cds.yaml", unknown.File);
        Assert.Equal(files.LineOf("cds.yaml", "min_health_percent"), unknown.Line);
        Assert.Equal("use common_lb_config.healthy_panic_threshold: {value: 50} (and max_ejection_percent / always_eject_one_host)", unknown.Fix);
    }

    [Fact]
    public void Load_SeedOutlierDetectionWrittenValidly_OnlyWarnsAboutMinHealthPercent()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("outlier_detection:\n  consecutive_5xx: 5\n  base_ejection_time: 30s\n  max_ejection_percent: 50\n  min_health_percent: 50");
        files.Write("eds_c1.yaml", ConfigFiles.Eds("c1", "10.0.0.1:6443", "10.0.0.2:6443"));

        var result = files.Load();

        Assert.Equal("resources[0].outlier_detection.min_health_percent", Assert.Single(result.Problems).Path);
        Assert.Equal(50u, result.Snapshot!.Clusters.Single().OutlierDetection!.MaxEjectionPercent);
    }

    [Fact]
    public void Load_SeedRetryPolicy_IsAnUnknownFieldPointingAtMaxConnectAttempts()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster(SeedRetryPolicy);

        var result = files.Load();

        var warning = ProblemAssert.Warning(result, "resources[0].retry_policy");
        Assert.True(warning.IsUnknownField);
        Assert.Equal(files.LineOf("cds.yaml", "retry_policy"), warning.Line);
        Assert.StartsWith("TCP retries are `max_connect_attempts` on the listener's tcp_proxy", warning.Fix, StringComparison.Ordinal);
        Assert.NotNull(result.Snapshot);
    }

    [Fact]
    public void Load_SeedRetryPolicyWithRejectFlag_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster(SeedRetryPolicy);

        var error = ProblemAssert.Error(files.Load(rejectUnknownDynamicFields: true), "resources[0].retry_policy");

        Assert.True(error.IsUnknownField);
        Assert.StartsWith("TCP retries are `max_connect_attempts`", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SeedBarePanicThreshold_SaysToWriteAPercentObject()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("common_lb_config:\n  healthy_panic_threshold: 50");

        var error = ProblemAssert.Error(files.Load(), "resources[0].common_lb_config.healthy_panic_threshold");

        Assert.Equal("write `healthy_panic_threshold: {value: 50}`", error.Fix);
    }

    [Fact]
    public void Load_KeepaliveAsDuration_SaysToWriteAPlainInteger()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("upstream_connection_options:\n  tcp_keepalive:\n    keepalive_probes: 3\n    keepalive_time: \"30s\"\n    keepalive_interval: 10");

        var error = ProblemAssert.Error(files.Load(), "resources[0].upstream_connection_options.tcp_keepalive.keepalive_time");

        Assert.Equal("write `keepalive_time: 30` (a plain integer of seconds, not a duration)", error.Fix);
    }

    [Fact]
    public void Load_SeedEdsPlaceholders_AreMalformedIpAddresses()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", ConfigFiles.Eds("c1", "YOUR_K8S_CLUSTER1_IP1:6443", "YOUR_K8S_CLUSTER1_IP2:6443"));

        var result = files.Load();

        Assert.Equal(2, result.Errors.Count(e => e.Message.StartsWith("malformed IP address: YOUR_K8S_CLUSTER1_IP", StringComparison.Ordinal)));
    }

    [Fact]
    public void Load_SeedClusterSnippetsTogether_AllReportedAtOnce()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("envoy.yaml", SeedBootstrap);
        files.WriteCluster("lb_policy: ROUND_ROBIN\n" + SeedHealthChecks + "\n" + SeedOutlierDetection + "\n" + SeedRetryPolicy);

        var result = files.Load();

        Assert.Null(result.Snapshot);
        Assert.Equal(7, result.Errors.Count());
        Assert.Equal(
            ["admin.access_log_path", "admin.address.socket_address.address", "resources[0].health_checks[0].http_health_check.expected_statuses[0].end", "resources[0].outlier_detection.min_health_percent", "resources[0].retry_policy"],
            result.Warnings.Select(w => w.Path));
    }
}
