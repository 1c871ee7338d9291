namespace Kubegate.Fuzzing;

/// <summary>The verdict on one replayed input.</summary>
internal enum FuzzReplayVerdict
{
    Pass,
    Crash,
    Hang,
}
