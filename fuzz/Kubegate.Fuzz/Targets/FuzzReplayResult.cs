namespace Kubegate.Fuzzing;

/// <summary>What replaying one stored input gave.</summary>
/// <param name="Verdict">Pass, crash (an exception or a broken property) or hang (past the deadline).</param>
/// <param name="Failure">The exception of a crash; null otherwise.</param>
internal sealed record FuzzReplayResult(FuzzReplayVerdict Verdict, Exception? Failure);
