namespace Kubegate.Configuration.Watching;

/// <summary>The last update of one watched file.</summary>
/// <param name="Subscription">lds, cds, or the EDS cluster name.</param>
/// <param name="File">The file as the configuration names it.</param>
/// <param name="Outcome">What happened to it.</param>
/// <param name="At">When.</param>
/// <param name="VersionInfo">The file's <c>version_info</c>, when it has one.</param>
/// <param name="Problem">The first error (or warning) as <c>file:line: path: problem (fix)</c>; null when there was none.</param>
/// <param name="ProblemCount">How many errors and warnings the update had.</param>
internal sealed record ReloadStatusEntry(string Subscription, string File, ReloadOutcome Outcome, DateTimeOffset At, string? VersionInfo, string? Problem, int ProblemCount);
