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
