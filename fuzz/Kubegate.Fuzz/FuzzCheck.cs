namespace Kubegate.Fuzzing;

/// <summary><c>--check</c>: replays files through a target and prints each failure, to triage what afl-fuzz found.</summary>
internal static class FuzzCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static int Run(FuzzTarget target, IEnumerable<string> paths)
    {
        var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]).Order(StringComparer.Ordinal).ToList();
        var failed = 0;
        using var workspace = FuzzWorkspace.Create();
        foreach (var file in files)
        {
            var result = FuzzReplay.Run(target, File.ReadAllBytes(file), workspace, Timeout);
            if (result.Verdict == FuzzReplayVerdict.Pass)
            {
                continue;
            }

            failed++;
            Console.WriteLine($"{result.Verdict.ToString().ToUpperInvariant()} {file}");
            Console.WriteLine(result.Failure?.ToString() ?? $"no result after {Timeout.TotalSeconds:0} s");
            if (result.Verdict == FuzzReplayVerdict.Hang)
            {
                // The hung thread cannot be stopped; the rest would share its workspace, so stop here.
                break;
            }
        }

        Console.WriteLine($"{target.Name}: {files.Count - failed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}
