namespace Kubegate.Stats;

/// <summary>
/// <c>cluster.&lt;name&gt;.outlier_detection.*</c>, created only for clusters with <c>outlier_detection</c> (as in Envoy).
/// Every stat Envoy registers is registered, including the success-rate and failure-percentage ones kubegate never
/// fires, so dashboards built against Envoy find the same names.
/// </summary>
internal sealed class OutlierDetectionStats
{
    public OutlierDetectionStats(StatsStore store, string observabilityName)
    {
        var scope = "cluster." + observabilityName + ".outlier_detection.";
        EjectionsActive = store.Gauge(scope + "ejections_active");
        EjectionsEnforcedTotal = store.Counter(scope + "ejections_enforced_total");
        EjectionsOverflow = store.Counter(scope + "ejections_overflow");
        EjectionsTotal = store.Counter(scope + "ejections_total");
        EjectionsConsecutive5xx = store.Counter(scope + "ejections_consecutive_5xx");
        EjectionsDetectedConsecutive5xx = store.Counter(scope + "ejections_detected_consecutive_5xx");
        EjectionsEnforcedConsecutive5xx = store.Counter(scope + "ejections_enforced_consecutive_5xx");
        EjectionsDetectedConsecutiveGatewayFailure = store.Counter(scope + "ejections_detected_consecutive_gateway_failure");
        EjectionsEnforcedConsecutiveGatewayFailure = store.Counter(scope + "ejections_enforced_consecutive_gateway_failure");
        EjectionsDetectedConsecutiveLocalOriginFailure = store.Counter(scope + "ejections_detected_consecutive_local_origin_failure");
        EjectionsEnforcedConsecutiveLocalOriginFailure = store.Counter(scope + "ejections_enforced_consecutive_local_origin_failure");
        foreach (var kind in (string[])["success_rate", "local_origin_success_rate", "failure_percentage", "failure_percentage_local_origin"])
        {
            store.Counter(scope + "ejections_detected_" + kind);
            store.Counter(scope + "ejections_enforced_" + kind);
        }
    }

    /// <summary>Hosts ejected right now.</summary>
    public Gauge EjectionsActive { get; }

    public Counter EjectionsEnforcedTotal { get; }

    /// <summary>Ejections refused by <c>max_ejection_percent</c>.</summary>
    public Counter EjectionsOverflow { get; }

    /// <summary>Deprecated in Envoy: detected consecutive-5xx (and success-rate) ejections within the cap.</summary>
    public Counter EjectionsTotal { get; }

    /// <summary>Deprecated in Envoy: consecutive-5xx detections.</summary>
    public Counter EjectionsConsecutive5xx { get; }

    public Counter EjectionsDetectedConsecutive5xx { get; }

    public Counter EjectionsEnforcedConsecutive5xx { get; }

    public Counter EjectionsDetectedConsecutiveGatewayFailure { get; }

    public Counter EjectionsEnforcedConsecutiveGatewayFailure { get; }

    public Counter EjectionsDetectedConsecutiveLocalOriginFailure { get; }

    public Counter EjectionsEnforcedConsecutiveLocalOriginFailure { get; }
}
