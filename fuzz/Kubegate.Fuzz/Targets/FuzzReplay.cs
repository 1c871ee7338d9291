namespace Kubegate.Fuzzing;

/// <summary>
/// Runs stored inputs through a target without a fuzzer, each on its own thread with a deadline, so a hang is
/// reported as one (and the caller goes on) instead of blocking the run. Used by the corpus replay test and by
/// <c>Kubegate.Fuzz --check</c>.
/// </summary>
internal static class FuzzReplay
{
    /// <summary>Checks one input; never throws for a failing input, never waits longer than <paramref name="timeout"/>.</summary>
    public static FuzzReplayResult Run(FuzzTarget target, byte[] input, FuzzWorkspace workspace, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(input);
        Exception? failure = null;

        // A dedicated background thread: a hung input cannot be aborted in .NET, but it must neither hold a pool
        // thread nor keep the process alive once the caller has reported it.
        var thread = new Thread(() =>
        {
            try
            {
                target.Check(input, workspace);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        })
        {
            IsBackground = true,
            Name = "fuzz replay " + target.Name,
        };
        thread.Start();
        if (!thread.Join(timeout))
        {
            return new FuzzReplayResult(FuzzReplayVerdict.Hang, null);
        }

        return failure is null ? new FuzzReplayResult(FuzzReplayVerdict.Pass, null) : new FuzzReplayResult(FuzzReplayVerdict.Crash, failure);
    }
}
