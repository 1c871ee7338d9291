using System.IO.Hashing;
using System.Text;

namespace Kubegate.Stats;

/// <summary>
/// The stats of one file subscription (Envoy's <c>ALL_SUBSCRIPTION_STATS</c>): <c>listener_manager.lds.</c>,
/// <c>cluster_manager.cds.</c>, or <c>cluster.&lt;name&gt;.</c> for a cluster's EDS file (which adds
/// <c>update_empty</c>). Created when the subscription starts, so they read 0 rather than missing until used.
/// </summary>
internal sealed class SubscriptionStats
{
    public SubscriptionStats(StatsStore store, string scope, bool endpoints)
    {
        Scope = scope;
        UpdateAttempt = store.Counter(scope + "update_attempt");
        UpdateSuccess = store.Counter(scope + "update_success");
        UpdateFailure = store.Counter(scope + "update_failure");
        UpdateRejected = store.Counter(scope + "update_rejected");
        UpdateEmpty = endpoints ? store.Counter(scope + "update_empty") : null;
        UpdateTime = store.Gauge(scope + "update_time");
        Version = store.Gauge(scope + "version");
        VersionText = store.TextReadout(scope + "version_text");
    }

    /// <summary>The stat prefix, ending in a dot.</summary>
    public string Scope { get; }

    public Counter UpdateAttempt { get; }

    public Counter UpdateSuccess { get; }

    /// <summary>The file could not be read or parsed.</summary>
    public Counter UpdateFailure { get; }

    /// <summary>The file parsed but was invalid (or, for LDS, a listener could not be bound).</summary>
    public Counter UpdateRejected { get; }

    /// <summary>EDS only: the file held no ClusterLoadAssignment; the previous endpoints were kept.</summary>
    public Counter? UpdateEmpty { get; }

    /// <summary>Milliseconds since the Unix epoch of the last accepted update.</summary>
    public Gauge UpdateTime { get; }

    /// <summary>
    /// XXH64 of the accepted <c>version_info</c>, as Envoy computes it; the 64 bits are stored as a signed value.
    /// REVIEW: the admin <c>/stats</c> output should print this gauge unsigned, as Envoy does.
    /// </summary>
    public Gauge Version { get; }

    public TextReadout VersionText { get; }

    /// <summary>Records an accepted update: success, time, and the version (empty when the file has none).</summary>
    public void Accepted(string? versionInfo, DateTimeOffset now)
    {
        UpdateSuccess.Increment();
        UpdateTime.Set(now.ToUnixTimeMilliseconds());
        Version.Set(VersionHash(versionInfo));
        VersionText.Set(versionInfo ?? string.Empty);
    }

    /// <summary>
    /// The <c>version</c> gauge's value: XXH64 (seed 0) of the UTF-8 <c>version_info</c>, as Envoy's
    /// <c>HashUtil::xxHash64</c>; an absent version hashes as the empty string.
    /// </summary>
    public static long VersionHash(string? versionInfo) =>
        unchecked((long)XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(versionInfo ?? string.Empty)));
}
