using Kubegate.Configuration;
using Kubegate.Health.Outlier;

namespace Kubegate.Tests.Health.Outlier;

/// <summary>Envoy's ejection rules as pure functions: no clock, no randomness, no cluster.</summary>
public class OutlierEjectionPolicyTests
{
    [Theory]
    [InlineData(10u, false, 0, 10, true)]
    [InlineData(10u, false, 1, 10, false)]
    [InlineData(10u, false, 0, 5, false)]
    [InlineData(10u, true, 0, 5, true)]
    [InlineData(10u, true, 1, 5, false)]
    [InlineData(150u, false, 4, 5, true)]
    public void MayEject_MaxEjectionPercentAndAlwaysEjectOne(uint maxPercent, bool alwaysEjectOne, int active, int hosts, bool expected) =>
        Assert.Equal(expected, OutlierEjectionPolicy.MayEject(new OutlierDetectionConfig { MaxEjectionPercent = maxPercent, AlwaysEjectOneHost = alwaysEjectOne }, active, hosts));

    [Fact]
    public void EjectionDuration_BaseTimesBackoffCappedPlusJitter()
    {
        var config = new OutlierDetectionConfig { BaseEjectionTime = TimeSpan.FromSeconds(30), MaxEjectionTime = TimeSpan.FromSeconds(100) };

        Assert.Equal(TimeSpan.FromSeconds(30), OutlierEjectionPolicy.EjectionDuration(config, backoff: 0, TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromSeconds(90.5), OutlierEjectionPolicy.EjectionDuration(config, backoff: 3, TimeSpan.FromMilliseconds(500)));
        Assert.Equal(TimeSpan.FromSeconds(100), OutlierEjectionPolicy.EjectionDuration(config, backoff: 4, TimeSpan.Zero));
        Assert.True(OutlierEjectionPolicy.RaisesBackoff(config, 3));
        Assert.False(OutlierEjectionPolicy.RaisesBackoff(config, 4));
    }

    [Fact]
    public void Enforcing_PerDetectorType()
    {
        var config = new OutlierDetectionConfig { EnforcingConsecutive5xx = 10, EnforcingConsecutiveGatewayFailure = 20, EnforcingConsecutiveLocalOriginFailure = 30 };

        Assert.Equal(10u, OutlierEjectionPolicy.Enforcing(config, OutlierEjectionType.Consecutive5xx));
        Assert.Equal(20u, OutlierEjectionPolicy.Enforcing(config, OutlierEjectionType.ConsecutiveGatewayFailure));
        Assert.Equal(30u, OutlierEjectionPolicy.Enforcing(config, OutlierEjectionType.ConsecutiveLocalOriginFailure));
    }
}
