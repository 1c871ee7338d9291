namespace Kubegate.Configuration.Binding;

/// <summary>Binds <c>envoy.config.cluster.v3.OutlierDetection</c> (spec 3.4) with Envoy's defaults.</summary>
internal static class OutlierDetectionBinder
{
    public static OutlierDetectionConfig? Bind(BindContext ctx, MessageReader m)
    {
        var errorsBefore = ctx.ErrorCount;
        var defaults = new OutlierDetectionConfig();
        var baseEjectionField = m.Find("base_ejection_time");
        var maxEjectionField = m.Find("max_ejection_time");
        var config = new OutlierDetectionConfig
        {
            Consecutive5xx = m.UInt32Value("consecutive_5xx") ?? defaults.Consecutive5xx,
            Interval = m.Duration("interval", positive: true) ?? defaults.Interval,
            BaseEjectionTime = ProtoValues.Duration(ctx, baseEjectionField, positive: true) ?? defaults.BaseEjectionTime,
            MaxEjectionTime = ProtoValues.Duration(ctx, maxEjectionField, positive: true),
            MaxEjectionTimeJitter = m.Duration("max_ejection_time_jitter") ?? TimeSpan.Zero,
            MaxEjectionPercent = Percent(ctx, m, "max_ejection_percent") ?? defaults.MaxEjectionPercent,
            AlwaysEjectOneHost = m.BoolValue("always_eject_one_host") ?? false,
            EnforcingConsecutive5xx = Percent(ctx, m, "enforcing_consecutive_5xx") ?? defaults.EnforcingConsecutive5xx,
            ConsecutiveGatewayFailure = m.UInt32Value("consecutive_gateway_failure") ?? defaults.ConsecutiveGatewayFailure,
            EnforcingConsecutiveGatewayFailure = Percent(ctx, m, "enforcing_consecutive_gateway_failure") ?? defaults.EnforcingConsecutiveGatewayFailure,
            SplitExternalLocalOriginErrors = m.Bool("split_external_local_origin_errors") ?? false,
            ConsecutiveLocalOriginFailure = m.UInt32Value("consecutive_local_origin_failure") ?? defaults.ConsecutiveLocalOriginFailure,
            EnforcingConsecutiveLocalOriginFailure = Percent(ctx, m, "enforcing_consecutive_local_origin_failure") ?? defaults.EnforcingConsecutiveLocalOriginFailure,
            EnforcingLocalOriginSuccessRate = Percent(ctx, m, "enforcing_local_origin_success_rate") ?? defaults.EnforcingLocalOriginSuccessRate,
            SuccessRateMinimumHosts = m.UInt32Value("success_rate_minimum_hosts") ?? defaults.SuccessRateMinimumHosts,
            SuccessRateRequestVolume = m.UInt32Value("success_rate_request_volume") ?? defaults.SuccessRateRequestVolume,
            SuccessRateStdevFactor = m.UInt32Value("success_rate_stdev_factor") ?? defaults.SuccessRateStdevFactor,
            EnforcingSuccessRate = Percent(ctx, m, "enforcing_success_rate") ?? defaults.EnforcingSuccessRate,
            FailurePercentageThreshold = Percent(ctx, m, "failure_percentage_threshold") ?? defaults.FailurePercentageThreshold,
            EnforcingFailurePercentage = Percent(ctx, m, "enforcing_failure_percentage") ?? defaults.EnforcingFailurePercentage,
            EnforcingFailurePercentageLocalOrigin = Percent(ctx, m, "enforcing_failure_percentage_local_origin") ?? defaults.EnforcingFailurePercentageLocalOrigin,
            FailurePercentageMinimumHosts = m.UInt32Value("failure_percentage_minimum_hosts") ?? defaults.FailurePercentageMinimumHosts,
            FailurePercentageRequestVolume = m.UInt32Value("failure_percentage_request_volume") ?? defaults.FailurePercentageRequestVolume,
            SuccessfulActiveHealthCheckUnejectHost = m.BoolValue("successful_active_health_check_uneject_host") ?? true,
        };
        var consecutive5xxWritten = m.IsWritten("consecutive_5xx");
        m.Finish();

        if (config.MaxEjectionTime is { } max && max < config.BaseEjectionTime)
        {
            ctx.Error(
                maxEjectionField.Line,
                maxEjectionField.Path,
                "outlier detector's max_ejection_time cannot be smaller than base_ejection_time",
                $"write max_ejection_time: \"{ProtoDurationText.Format((decimal)config.BaseEjectionTime.Ticks / TimeSpan.TicksPerSecond)}\" or more");
        }

        if (config.SplitExternalLocalOriginErrors && consecutive5xxWritten)
        {
            ctx.Warning(
                m.Line,
                m.Child("consecutive_5xx"),
                "with split_external_local_origin_errors: true a TCP proxy reports connect failures only as local-origin errors, so consecutive_5xx never fires",
                "use consecutive_local_origin_failure, or leave split_external_local_origin_errors false");
        }

        return ctx.ErrorCount == errorsBefore ? config : null;
    }

    // The enforcing_* percentages and the other UInt32Value percentages carry PGV lte: 100.
    private static uint? Percent(BindContext ctx, MessageReader m, string name)
    {
        var field = m.Find(name);
        var value = ProtoValues.UInt32(ctx, field, wrapper: true);
        if (value is > 100)
        {
            ctx.Error(field.Line, field.Path, $"{name} is a percentage and must be at most 100, found {value}");
            return null;
        }

        return value;
    }
}
