using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration.Binding;

public class KubegateClusterExtensionBinderTests
{
    [Fact]
    public void Load_SlowStartOnRoundRobin_BindsEnvoyFields()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            round_robin_lb_config:
              slow_start_config:
                slow_start_window: 60s
                aggression: {default_value: 2.0, runtime_key: upstream.slow_start.aggression}
                min_weight_percent: {value: 25}
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.Equal(new SlowStartConfig(TimeSpan.FromSeconds(60), 2.0, 25), result.Snapshot!.Clusters.Single().SlowStart);
    }

    [Fact]
    public void Load_SlowStartOnLeastRequest_DefaultsAreEnvoys()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("lb_policy: LEAST_REQUEST\nleast_request_lb_config: {slow_start_config: {slow_start_window: 30s}}");

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.Equal(new SlowStartConfig(TimeSpan.FromSeconds(30), 1.0, 10), result.Snapshot!.Clusters.Single().SlowStart);
    }

    [Fact]
    public void Load_SlowStartWithoutWindow_IsOff()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("round_robin_lb_config: {slow_start_config: {min_weight_percent: {value: 50}}}");

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.Null(result.Snapshot!.Clusters.Single().SlowStart);
    }

    [Fact]
    public void Load_AggressionAsPlainNumber_NamesTheRuntimeDoubleForm()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("round_robin_lb_config: {slow_start_config: {slow_start_window: 10s, aggression: 2}}");

        var error = ProblemAssert.Error(files.Load(), "resources[0].round_robin_lb_config.slow_start_config.aggression");

        Assert.Contains("default_value: 2", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_HealthCheckRoleReadiness_Binds()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("metadata: {filter_metadata: {kubegate: {health_check_role: readiness}, other.filter: {x: 1}}}");

        var result = files.Load();

        ProblemAssert.Clean(result);
        Assert.Equal(HealthCheckRole.Readiness, result.Snapshot!.Clusters.Single().Kubegate.HealthCheckRole);
    }

    [Fact]
    public void Load_RebalanceAndMaxAge_Bind()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("""
            metadata:
              filter_metadata:
                kubegate:
                  health_check_role: readiness
                  liveness_path: /livez
                  rebalance: {tolerance_percent: 15, max_closes_per_second: 3, min_connection_age: 30s}
                  max_connection_age: 3600s
                  max_connection_age_jitter_percent: 25
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        var kubegate = result.Snapshot!.Clusters.Single().Kubegate;
        Assert.Equal("/livez", kubegate.LivenessPath);
        Assert.Equal(new RebalanceConfig(15, 3, TimeSpan.FromSeconds(30)), kubegate.Rebalance);
        Assert.Equal(TimeSpan.FromHours(1), kubegate.MaxConnectionAge);
        Assert.Equal(25, kubegate.MaxConnectionAgeJitterPercent);
        Assert.Equal(3, kubegate.GentleClosesPerSecond);
    }

    [Fact]
    public void Load_RebalanceDefaults()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("metadata: {filter_metadata: {kubegate: {rebalance: {}}}}");

        var rebalance = files.Load().Snapshot!.Clusters.Single().Kubegate.Rebalance;

        Assert.Equal(new RebalanceConfig(20, 5, TimeSpan.FromSeconds(60)), rebalance);
    }

    [Theory]
    [InlineData("rebalance: {max_closes_per_second: 0}", "resources[0].metadata.filter_metadata.kubegate.rebalance.max_closes_per_second")]
    [InlineData("rebalance: {tolerance_percent: 150}", "resources[0].metadata.filter_metadata.kubegate.rebalance.tolerance_percent")]
    [InlineData("max_connection_age_jitter_percent: -1", "resources[0].metadata.filter_metadata.kubegate.max_connection_age_jitter_percent")]
    [InlineData("{health_check_role: readiness, liveness_path: livez}", "resources[0].metadata.filter_metadata.kubegate.liveness_path")]
    public void Load_BadKnob_NamesItsPath(string knob, string path)
    {
        using var files = new ConfigFiles().WriteDefaults();
        var body = knob.StartsWith('{') ? knob : "{" + knob + "}";
        files.WriteCluster("metadata: {filter_metadata: {kubegate: " + body + "}}");

        var error = ProblemAssert.Error(files.Load(), path);

        Assert.NotNull(error.Fix);
    }

    [Fact]
    public void Load_NoKubegateMetadata_KeepsEnvoysMeaning()
    {
        using var files = new ConfigFiles().WriteDefaults();

        var cluster = files.Load().Snapshot!.Clusters.Single();

        Assert.Equal(HealthCheckRole.Liveness, cluster.Kubegate.HealthCheckRole);
        Assert.Null(cluster.SlowStart);
    }

    [Fact]
    public void Load_BadHealthCheckRole_NamesFieldAndFix()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("metadata: {filter_metadata: {kubegate: {health_check_role: ready}}}");

        var error = ProblemAssert.Error(files.Load(), "resources[0].metadata.filter_metadata.kubegate.health_check_role");

        Assert.Contains("readiness or liveness", error.Message, StringComparison.Ordinal);
        Assert.Contains("health_check_role: readiness", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownKubegateKnob_WarnsWithTheNearestName()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("metadata: {filter_metadata: {kubegate: {health_check_rol: readiness}}}");

        // Unknown fields of dynamic resources are warnings, as every other unknown field there.
        var error = ProblemAssert.Warning(files.Load(), "resources[0].metadata.filter_metadata.kubegate.health_check_rol");

        Assert.Contains("health_check_role", error.Fix ?? error.Message, StringComparison.Ordinal);
    }
}
