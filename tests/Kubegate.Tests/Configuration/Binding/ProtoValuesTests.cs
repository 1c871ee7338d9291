using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration.Binding;

/// <summary>proto3-JSON scalar rules, exercised through real cluster fields.</summary>
public class ProtoValuesTests
{
    [Theory]
    [InlineData("5s", 5000)]
    [InlineData("0.25s", 250)]
    [InlineData("\"1.5s\"", 1500)]
    [InlineData("0.001s", 1)]
    [InlineData("3600s", 3_600_000)]
    public void Load_Duration_SecondsWithFractions(string written, int milliseconds)
    {
        var result = LoadWithCluster("connect_timeout: " + written);

        ProblemAssert.Clean(result);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), result.Snapshot!.Clusters.Single().ConnectTimeout);
    }

    [Theory]
    [InlineData("500ms", "write \"0.5s\"")]
    [InlineData("1m", "write \"60s\"")]
    [InlineData("1m30s", "write \"90s\"")]
    [InlineData("2h", "write \"7200s\"")]
    [InlineData("5S", "write \"5s\"")]
    [InlineData("5", "write \"5s\"")]
    [InlineData("{seconds: 3}", "write \"3s\"")]
    [InlineData("{seconds: 1, nanos: 500000000}", "write \"1.5s\"")]
    public void Load_DurationNotInSecondsForm_ErrorWithTheSecondsForm(string written, string fix)
    {
        var error = ProblemAssert.Error(LoadWithCluster("connect_timeout: " + written), "resources[0].connect_timeout");

        Assert.Equal(fix, error.Fix);
    }

    [Fact]
    public void Load_NegativeDuration_IsAnError()
    {
        var error = ProblemAssert.Error(LoadWithCluster("connect_timeout: -1s"), "resources[0].connect_timeout");

        Assert.Equal("a duration must not be negative", error.Message);
    }

    [Fact]
    public void Load_DurationGibberish_ExplainsTheFormat()
    {
        var error = ProblemAssert.Error(LoadWithCluster("connect_timeout: soon"), "resources[0].connect_timeout");

        Assert.Equal("invalid duration 'soon': write seconds ending in a single 's', like \"5s\" or \"0.25s\"", error.Message);
    }

    [Theory]
    [InlineData("\"300\"", 300u)]
    [InlineData("300", 300u)]
    [InlineData("4294967295", 4294967295u)]
    public void Load_UInt32_NumberOrNumericString(string written, uint expected)
    {
        var result = LoadWithCluster("upstream_connection_options: {tcp_keepalive: {keepalive_time: " + written + "}}");

        ProblemAssert.Clean(result);
        Assert.Equal(expected, result.Snapshot!.Clusters.Single().TcpKeepalive!.Time);
    }

    [Theory]
    [InlineData("-1", "-1 is out of range for a uint32 (0..4294967295)")]
    [InlineData("4294967296", "4294967296 is out of range for a uint32 (0..4294967295)")]
    [InlineData("1.5", "expected a whole number (uint32), found the string \"1.5\"")]
    [InlineData("many", "expected a whole number (uint32), found the string \"many\"")]
    [InlineData("true", "expected a whole number (uint32), found the boolean true")]
    public void Load_UInt32_InvalidValues(string written, string message)
    {
        var error = ProblemAssert.Error(LoadWithCluster("upstream_connection_options: {tcp_keepalive: {keepalive_probes: " + written + "}}"), "resources[0].upstream_connection_options.tcp_keepalive.keepalive_probes");

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("8080")]
    [InlineData("yes")]
    [InlineData("false")]
    public void Load_StringFieldWithUnquotedNumberOrBool_SaysToQuoteIt(string written)
    {
        var error = ProblemAssert.Error(LoadWithCluster("alt_stat_name: " + written), "resources[0].alt_stat_name");

        Assert.Equal($"quote it: alt_stat_name: \"{written}\"", error.Fix);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("\"8080\"")]
    public void Load_StringFieldWithFloatOrQuotedNumber_IsAString(string written)
    {
        var result = LoadWithCluster("alt_stat_name: " + written);

        ProblemAssert.Clean(result);
        Assert.Equal(written.Trim('"'), result.Snapshot!.Clusters.Single().AltStatName);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("yes", true)]
    [InlineData("On", true)]
    [InlineData("false", false)]
    [InlineData("no", false)]
    public void Load_Bool_YamlBooleanWords(string written, bool expected)
    {
        var result = LoadWithCluster("ignore_health_on_host_removal: " + written);

        ProblemAssert.Clean(result);
        Assert.Equal(expected, result.Snapshot!.Clusters.Single().IgnoreHealthOnHostRemoval);
    }

    [Fact]
    public void Load_BoolWrittenAsString_SaysToDropTheQuotes()
    {
        var error = ProblemAssert.Error(LoadWithCluster("ignore_health_on_host_removal: \"true\""), "resources[0].ignore_health_on_host_removal");

        Assert.Equal("write ignore_health_on_host_removal: true without quotes", error.Fix);
    }

    [Fact]
    public void Load_UnknownEnumValue_ListsTheValues()
    {
        var error = ProblemAssert.Error(LoadWithCluster("lb_policy: ROUNDROBIN"), "resources[0].lb_policy");

        Assert.Equal("unknown value 'ROUNDROBIN' for lb_policy", error.Message);
        Assert.Equal("use one of ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG", error.Fix);
    }

    [Fact]
    public void Load_LowerCamelCaseFieldNames_AreAccepted()
    {
        var result = LoadWithCluster("connectTimeout: 2s\nlbPolicy: RANDOM\ncommonLbConfig: {healthyPanicThreshold: {value: 10}}\noutlierDetection: {consecutive5xx: 7, maxEjectionPercent: 100}");

        ProblemAssert.Clean(result);
        var cluster = result.Snapshot!.Clusters.Single();
        Assert.Equal(TimeSpan.FromSeconds(2), cluster.ConnectTimeout);
        Assert.Equal(LbPolicy.Random, cluster.LbPolicy);
        Assert.Equal(10, cluster.HealthyPanicThreshold);
        Assert.Equal(7u, cluster.OutlierDetection!.Consecutive5xx);
    }

    [Fact]
    public void Load_FieldInBothSpellings_IsSetTwice()
    {
        var error = ProblemAssert.Error(LoadWithCluster("connect_timeout: 2s\nconnectTimeout: 3s"), "resources[0].connectTimeout");

        Assert.Equal("field 'connect_timeout' is set twice in this object", error.Message);
    }

    [Fact]
    public void Load_DuplicateYamlKey_IsSetTwice()
    {
        ProblemAssert.Error(LoadWithCluster("connect_timeout: 2s\nconnect_timeout: 3s"), "resources[0].connect_timeout");
    }

    [Fact]
    public void Load_PercentAsBareNumber_IsAnObject()
    {
        var error = ProblemAssert.Error(LoadWithCluster("common_lb_config: {healthy_panic_threshold: 50}"), "resources[0].common_lb_config.healthy_panic_threshold");

        Assert.Equal("write `healthy_panic_threshold: {value: 50}`", error.Fix);
    }

    [Theory]
    [InlineData("150")]
    [InlineData("-1")]
    public void Load_PercentOutOfRange_IsAnError(string value)
    {
        var error = ProblemAssert.Error(LoadWithCluster($"common_lb_config: {{healthy_panic_threshold: {{value: {value}}}}}"), "resources[0].common_lb_config.healthy_panic_threshold.value");

        Assert.StartsWith("a percentage must be between 0 and 100", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PercentWithFraction_IsADouble()
    {
        var result = LoadWithCluster("common_lb_config: {healthy_panic_threshold: {value: 12.5}}");

        Assert.Equal(12.5, result.Snapshot!.Clusters.Single().HealthyPanicThreshold);
    }

    [Fact]
    public void Load_ListWrittenAsObject_SaysItIsAList()
    {
        var error = ProblemAssert.Error(LoadWithCluster("health_checks: {timeout: 1s}"), "resources[0].health_checks");

        Assert.Equal("health_checks is a list, found an object", error.Message);
    }

    [Fact]
    public void Load_MessageWrittenAsScalar_SaysItIsAnObject()
    {
        var error = ProblemAssert.Error(LoadWithCluster("common_lb_config: 5"), "resources[0].common_lb_config");

        Assert.Equal("expected an object (CommonLbConfig), found the number 5", error.Message);
    }

    [Fact]
    public void Load_NullValue_MeansUnset()
    {
        var result = LoadWithCluster("connect_timeout: ~\nlb_policy:\ncommon_lb_config: null");

        ProblemAssert.Clean(result);
        Assert.Equal(TimeSpan.FromSeconds(5), result.Snapshot!.Clusters.Single().ConnectTimeout);
    }

    private static ConfigLoadResult LoadWithCluster(string extra)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster(extra);
        return files.Load();
    }
}
