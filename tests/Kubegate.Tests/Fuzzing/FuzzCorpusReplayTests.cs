using Kubegate.Fuzzing;
using Kubegate.Testing;

namespace Kubegate.Tests.Fuzzing;

/// <summary>
/// Replays every stored input of every fuzz target (fuzz/corpus/&lt;target&gt;: the seeds, and each crash or hang the
/// fuzzer ever found, kept as a regression case) through the target's property, without SharpFuzz. A crash fails
/// with the input's name and the exception; a hang fails after the per-input deadline instead of blocking the run.
/// </summary>
public class FuzzCorpusReplayTests
{
    // Generous for a loaded 2-core machine: the slowest input (a whole bootstrap, loaded twice) takes milliseconds.
    private static readonly TimeSpan PerInputTimeout = TimeSpan.FromSeconds(30);

    private static readonly string CorpusRoot = Path.Combine(TestPaths.RepositoryRoot, "fuzz", "corpus");

    public static TheoryData<string> Targets => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void Corpus_EveryStoredInput_KeepsTheTargetsProperty(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var files = CorpusFiles(name);
        Assert.NotEmpty(files);

        using var workspace = FuzzWorkspace.Create();
        var failures = new List<string>();
        foreach (var file in files)
        {
            var result = FuzzReplay.Run(target, File.ReadAllBytes(file), workspace, PerInputTimeout);
            if (result.Verdict == FuzzReplayVerdict.Hang)
            {
                // The hung thread keeps running in the background; stop before the next input shares its workspace.
                Assert.Fail($"{Relative(file)}: no result after {PerInputTimeout.TotalSeconds:0} s (hang)");
            }

            if (result.Verdict == FuzzReplayVerdict.Crash)
            {
                failures.Add($"{Relative(file)}: {result.Failure}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {files.Count} inputs break the property:\n" + string.Join("\n\n", failures));
    }

    [Fact]
    public void Corpus_EveryFolderBelongsToATargetAndEveryTargetHasSeeds()
    {
        var folders = Directory.GetDirectories(CorpusRoot).Select(Path.GetFileName).Order(StringComparer.Ordinal);

        Assert.Equal(FuzzTargets.All.Select(t => t.Name).Order(StringComparer.Ordinal), folders);
        Assert.All(FuzzTargets.All, t => Assert.NotEmpty(Directory.GetFiles(Path.Combine(CorpusRoot, t.Name), "seed-*")));
    }

    private static List<string> CorpusFiles(string target) =>
        [.. Directory.EnumerateFiles(Path.Combine(CorpusRoot, target), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    private static string Relative(string file) => Path.GetRelativePath(TestPaths.RepositoryRoot, file);
}
