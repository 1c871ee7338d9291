using System.Collections.Immutable;

namespace Kubegate.Configuration.Watching;

/// <summary>The outcome of one refresh of one subscription, as <see cref="ConfigReloader.Completed"/> reports it.</summary>
/// <param name="Subscription">"lds", "cds", or "eds" followed by the cluster name for a cluster's EDS file.</param>
/// <param name="File">The file as named in the bootstrap or CDS file.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="VersionInfo">The file's <c>version_info</c> when it was read and parsed; null otherwise.</param>
/// <param name="Problems">The errors (and warnings) logged for this refresh.</param>
internal sealed record ReloadResult(string Subscription, string File, ReloadOutcome Outcome, string? VersionInfo, ImmutableArray<ConfigError> Problems);
