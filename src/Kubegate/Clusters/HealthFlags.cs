namespace Kubegate.Clusters;

/// <summary>
/// Why a host is not healthy, as Envoy's host health flags. A host is healthy only when no flag is set; each source
/// (EDS, active checks, outlier detection) owns its own flags and never clears another's.
/// </summary>
[Flags]
internal enum HealthFlags
{
    None = 0,
    FailedActiveHc = 1 << 0,
    FailedOutlierCheck = 1 << 1,
    FailedEdsHealth = 1 << 2,
    DegradedActiveHc = 1 << 3,
    DegradedEdsHealth = 1 << 4,
    PendingDynamicRemoval = 1 << 5,
    PendingActiveHc = 1 << 6,
    ExcludedViaImmediateHcFail = 1 << 7,
    ActiveHcTimeout = 1 << 8,
    EdsStatusDraining = 1 << 9,
}
