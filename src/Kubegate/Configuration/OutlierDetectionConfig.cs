namespace Kubegate.Configuration;

/// <summary><c>outlier_detection</c>, with Envoy's defaults.</summary>
internal sealed record OutlierDetectionConfig
{
    public uint Consecutive5xx { get; init; } = 5;

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan BaseEjectionTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Null means 300 s, or <see cref="BaseEjectionTime"/> when that is larger.</summary>
    public TimeSpan? MaxEjectionTime { get; init; }

    public TimeSpan MaxEjectionTimeJitter { get; init; }

    public uint MaxEjectionPercent { get; init; } = 10;

    public bool AlwaysEjectOneHost { get; init; }

    public uint EnforcingConsecutive5xx { get; init; } = 100;

    public uint ConsecutiveGatewayFailure { get; init; } = 5;

    public uint EnforcingConsecutiveGatewayFailure { get; init; }

    public bool SplitExternalLocalOriginErrors { get; init; }

    public uint ConsecutiveLocalOriginFailure { get; init; } = 5;

    public uint EnforcingConsecutiveLocalOriginFailure { get; init; } = 100;

    /// <summary><c>enforcing_local_origin_success_rate</c>; used only when local-origin errors are split.</summary>
    public uint EnforcingLocalOriginSuccessRate { get; init; } = 100;

    public uint SuccessRateMinimumHosts { get; init; } = 5;

    public uint SuccessRateRequestVolume { get; init; } = 100;

    public uint SuccessRateStdevFactor { get; init; } = 1900;

    public uint EnforcingSuccessRate { get; init; } = 100;

    public uint FailurePercentageThreshold { get; init; } = 85;

    public uint EnforcingFailurePercentage { get; init; }

    /// <summary><c>enforcing_failure_percentage_local_origin</c>; 0 (detect only) by default.</summary>
    public uint EnforcingFailurePercentageLocalOrigin { get; init; }

    public uint FailurePercentageMinimumHosts { get; init; } = 5;

    public uint FailurePercentageRequestVolume { get; init; } = 50;

    public bool SuccessfulActiveHealthCheckUnejectHost { get; init; } = true;

    public TimeSpan EffectiveMaxEjectionTime =>
        MaxEjectionTime ?? (BaseEjectionTime > TimeSpan.FromSeconds(300) ? BaseEjectionTime : TimeSpan.FromSeconds(300));
}
