using Kubegate.LogFiles;
using Kubegate.Stats;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.LogFiles;

public sealed class LogFileSetTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kubegate-logfiles-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Get_SamePathTwice_OneWriter()
    {
        await using var files = new LogFileSet(new StatsStore(), NullLogger.Instance);
        var path = Path.Combine(_directory, "a.log");

        Assert.Same(files.Get(path), files.Get(Path.Combine(_directory, ".", "a.log")));
        Assert.Single(files.Writers);
    }

    [Fact]
    public async Task ReopenAll_EveryFileAfterMove_NewFilesAtThePaths()
    {
        var stats = new StatsStore();
        await using var files = new LogFileSet(stats, NullLogger.Instance);
        var access = Path.Combine(_directory, "access.log");
        var events = Path.Combine(_directory, "events.log");
        files.Get(access).TryEnqueue("a1\n");
        files.Get(events, immediate: true).TryEnqueue("e1\n");
        await WaitForAsync(access, "a1\n");
        await WaitForAsync(events, "e1\n");
        File.Move(access, access + ".1");
        File.Move(events, events + ".1");

        files.ReopenAll();
        files.Get(access).TryEnqueue("a2\n");
        files.Get(events).TryEnqueue("e2\n");

        await WaitForAsync(access, "a2\n");
        await WaitForAsync(events, "e2\n");
        Assert.Equal(1, stats.GetValue("access_log.reopen_total"));
    }

    [Fact]
    public async Task CloseUnused_FileNoLongerNamed_ClosedAfterItsLinesAreWritten()
    {
        await using var files = new LogFileSet(new StatsStore(), NullLogger.Instance);
        var kept = Path.Combine(_directory, "kept.log");
        var removed = Path.Combine(_directory, "removed.log");
        var keptWriter = files.Get(kept);
        files.Get(removed).TryEnqueue("last\n");

        await files.CloseUnusedAsync([kept]);

        Assert.Equal("last\n", await File.ReadAllTextAsync(removed));
        Assert.Same(keptWriter, Assert.Single(files.Writers));
    }

    private static async Task WaitForAsync(string path, string content)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!File.Exists(path) || await File.ReadAllTextAsync(path) != content)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{path} does not hold '{content.TrimEnd()}' within 5 s");
            await Task.Delay(20);
        }
    }
}
