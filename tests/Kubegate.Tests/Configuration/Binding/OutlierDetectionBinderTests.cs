using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration.Binding;

public class OutlierDetectionBinderTests
{
    private const string Path = "resources[0].outlier_detection";

    [Fact]
    public void Load_EmptyOutlierDetection_HasEnvoysDefaults()
    {
        var result = LoadWithCluster("outlier_detection: {}", "10.0.0.1:6443", "10.0.0.2:6443", "10.0.0.3:6443", "10.0.0.4:6443", "10.0.0.5:6443", "10.0.0.6:6443", "10.0.0.7:6443", "10.0.0.8:6443", "10.0.0.9:6443", "10.0.0.10:6443");

        ProblemAssert.Clean(result);
        Assert.Equal(new OutlierDetectionConfig(), result.Snapshot!.Clusters.Single().OutlierDetection);
        Assert.Equal(TimeSpan.FromSeconds(300), result.Snapshot.Clusters.Single().OutlierDetection!.EffectiveMaxEjectionTime);
    }

    [Fact]
    public void Load_EveryField_IsBound()
    {
        var result = LoadWithCluster("""
            outlier_detection:
              consecutive_5xx: 3
              interval: 5s
              base_ejection_time: 10s
              max_ejection_time: 100s
              max_ejection_time_jitter: 1s
              max_ejection_percent: 100
              always_eject_one_host: true
              enforcing_consecutive_5xx: 90
              consecutive_gateway_failure: 4
              enforcing_consecutive_gateway_failure: 80
              split_external_local_origin_errors: false
              consecutive_local_origin_failure: 6
              enforcing_consecutive_local_origin_failure: 70
              enforcing_local_origin_success_rate: 60
              success_rate_minimum_hosts: 2
              success_rate_request_volume: 20
              success_rate_stdev_factor: 1500
              enforcing_success_rate: 50
              failure_percentage_threshold: 40
              enforcing_failure_percentage: 30
              enforcing_failure_percentage_local_origin: 20
              failure_percentage_minimum_hosts: 3
              failure_percentage_request_volume: 30
              successful_active_health_check_uneject_host: false
            """);

        ProblemAssert.Clean(result);
        Assert.Equal(
            new OutlierDetectionConfig
            {
                Consecutive5xx = 3,
                Interval = TimeSpan.FromSeconds(5),
                BaseEjectionTime = TimeSpan.FromSeconds(10),
                MaxEjectionTime = TimeSpan.FromSeconds(100),
                MaxEjectionTimeJitter = TimeSpan.FromSeconds(1),
                MaxEjectionPercent = 100,
                AlwaysEjectOneHost = true,
                EnforcingConsecutive5xx = 90,
                ConsecutiveGatewayFailure = 4,
                EnforcingConsecutiveGatewayFailure = 80,
                ConsecutiveLocalOriginFailure = 6,
                EnforcingConsecutiveLocalOriginFailure = 70,
                EnforcingLocalOriginSuccessRate = 60,
                SuccessRateMinimumHosts = 2,
                SuccessRateRequestVolume = 20,
                SuccessRateStdevFactor = 1500,
                EnforcingSuccessRate = 50,
                FailurePercentageThreshold = 40,
                EnforcingFailurePercentage = 30,
                EnforcingFailurePercentageLocalOrigin = 20,
                FailurePercentageMinimumHosts = 3,
                FailurePercentageRequestVolume = 30,
                SuccessfulActiveHealthCheckUnejectHost = false,
            },
            result.Snapshot!.Clusters.Single().OutlierDetection);
    }

    [Theory]
    [InlineData("max_ejection_percent")]
    [InlineData("enforcing_consecutive_5xx")]
    [InlineData("failure_percentage_threshold")]
    public void Load_PercentageAbove100_IsAnError(string field)
    {
        var result = LoadWithCluster($"outlier_detection: {{{field}: 101, always_eject_one_host: true}}");

        Assert.Equal($"{field} is a percentage and must be at most 100, found 101", ProblemAssert.Error(result, $"{Path}.{field}").Message);
    }

    [Fact]
    public void Load_MaxEjectionTimeBelowBase_UsesEnvoysMessage()
    {
        var result = LoadWithCluster("outlier_detection: {base_ejection_time: 60s, max_ejection_time: 30s, always_eject_one_host: true}");

        var error = ProblemAssert.Error(result, Path + ".max_ejection_time");
        Assert.Equal("outlier detector's max_ejection_time cannot be smaller than base_ejection_time", error.Message);
        Assert.Equal("write max_ejection_time: \"60s\" or more", error.Fix);
    }

    [Fact]
    public void Load_DefaultEjectionCapWithFewEndpoints_WarnsThatNothingCanBeEjected()
    {
        var result = LoadWithCluster("outlier_detection: {consecutive_5xx: 5}", "10.0.0.1:6443", "10.0.0.2:6443");

        var warning = ProblemAssert.Warning(result, Path + ".max_ejection_percent");
        Assert.StartsWith("with 2 endpoint(s) and max_ejection_percent 10 no endpoint can ever be ejected", warning.Message, StringComparison.Ordinal);
        Assert.Equal("write max_ejection_percent: 50 or more, or always_eject_one_host: true", warning.Fix);
    }

    [Fact]
    public void Load_SplitLocalOriginErrorsWithConsecutive5xx_Warns()
    {
        var result = LoadWithCluster("outlier_detection: {consecutive_5xx: 5, split_external_local_origin_errors: true, always_eject_one_host: true}");

        Assert.Contains("consecutive_5xx never fires", ProblemAssert.Warning(result, Path + ".consecutive_5xx").Message, StringComparison.Ordinal);
    }

    private static ConfigLoadResult LoadWithCluster(string extra, params string[] endpoints)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster(extra);
        if (endpoints.Length > 0)
        {
            files.Write("eds_c1.yaml", ConfigFiles.Eds("c1", endpoints));
        }

        return files.Load();
    }
}
