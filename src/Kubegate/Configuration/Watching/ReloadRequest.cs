namespace Kubegate.Configuration.Watching;

/// <summary>A request for the reload loop: one subscription (debounced watch event) or all of them (SIGHUP, start).</summary>
/// <param name="Key">The subscription key, or null for every subscription.</param>
/// <param name="Force">Re-read even when the content hash is unchanged (SIGHUP).</param>
/// <param name="Completion">Completed with the results once the request was processed; null when nobody waits.</param>
internal readonly record struct ReloadRequest(string? Key, bool Force, TaskCompletionSource<IReadOnlyList<ReloadResult>>? Completion);
