using Kubegate.LogFiles;
using Kubegate.Stats;
using Kubegate.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.LogFiles;

public sealed class LogFileWriterTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kubegate-writer-" + Guid.NewGuid().ToString("N"));

    public LogFileWriterTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Lines_AreAppendedInOrder_AndFlushedOnDispose()
    {
        var path = Path.Combine(_directory, "a.log");
        await File.WriteAllTextAsync(path, "existing\n");
        var stats = new StatsStore();
        var writer = LogFileWriter.OpenFile(path, stats, NullLogger.Instance);

        for (var i = 0; i < 1000; i++)
        {
            Assert.True(writer.TryEnqueue($"line {i}\n"));
        }

        await writer.DisposeAsync();

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(1001, lines.Length);
        Assert.Equal("existing", lines[0]);
        Assert.Equal("line 999", lines[^1]);
        Assert.Equal(1000, stats.GetValue("filesystem.write_buffered"));
        Assert.Equal(0, stats.GetValue("access_log.lines_dropped"));
    }

    [Fact]
    public async Task FlushAsync_LinesQueuedBefore_OnDiskWhenItCompletes()
    {
        var path = Path.Combine(_directory, "flush.log");
        var writer = LogFileWriter.OpenFile(path, new StatsStore(), NullLogger.Instance);
        await using var _ = writer;
        for (var i = 0; i < 100; i++)
        {
            writer.TryEnqueue($"line {i}\n");
        }

        await writer.FlushAsync().DefaultTimeout();

        Assert.Equal(100, (await File.ReadAllLinesAsync(path)).Length);
    }

    [Fact]
    public async Task Line_IsWrittenWithinAboutASecond()
    {
        var path = Path.Combine(_directory, "b.log");
        var writer = LogFileWriter.OpenFile(path, new StatsStore(), NullLogger.Instance);
        await using var _ = writer;

        writer.TryEnqueue("one\n");
        writer.TryEnqueue("two\n");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (File.ReadAllText(path) != "one\ntwo\n")
        {
            Assert.True(DateTime.UtcNow < deadline, "lines not written within 5 s");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Reopen_AfterMove_NewFileAtThePath_NoLineLost()
    {
        var path = Path.Combine(_directory, "c.log");
        var writer = LogFileWriter.OpenFile(path, new StatsStore(), NullLogger.Instance);
        for (var i = 0; i < 100; i++)
        {
            writer.TryEnqueue($"{i}\n");
        }

        File.Move(path, path + ".1");
        writer.Reopen();
        for (var i = 100; i < 200; i++)
        {
            writer.TryEnqueue($"{i}\n");
        }

        await writer.DisposeAsync();

        var all = File.ReadAllLines(path + ".1").Concat(File.ReadAllLines(path)).Select(int.Parse).ToArray();
        Assert.Equal(Enumerable.Range(0, 200), all.Order());
        Assert.Contains(199, File.ReadAllLines(path).Select(int.Parse));
    }

    [Fact]
    public async Task FullQueue_DropsAndCounts_NeverBlocks()
    {
        var path = Path.Combine(_directory, "d.log");
        var stats = new StatsStore();
        var writer = LogFileWriter.OpenFile(path, stats, NullLogger.Instance, capacity: 4);

        var accepted = 0;
        for (var i = 0; i < 10_000; i++)
        {
            accepted += writer.TryEnqueue("x\n") ? 1 : 0;
        }

        await writer.DisposeAsync();

        Assert.Equal(10_000 - accepted, stats.GetValue("access_log.lines_dropped"));
        Assert.Equal(accepted, File.ReadAllLines(path).Length);
    }

    [Fact]
    public async Task WriteError_CountsAndDrops_DoesNotThrow()
    {
        // Linux's /dev/full fails every write with ENOSPC: a full disk on demand.
        Assert.True(File.Exists("/dev/full"), "this test needs /dev/full (Linux)");

        var stats = new StatsStore();
        var writer = LogFileWriter.OpenFile("/dev/full", stats, NullLogger.Instance);
        writer.TryEnqueue("a\n");
        writer.TryEnqueue("b\n");
        await writer.DisposeAsync();

        Assert.True(stats.GetValue("filesystem.write_failed") >= 1);
        Assert.Equal(2, stats.GetValue("access_log.lines_dropped"));
    }

    [Fact]
    public void OpenFile_MissingDirectory_Throws()
    {
        Assert.ThrowsAny<IOException>(() => LogFileWriter.OpenFile(Path.Combine(_directory, "nope", "e.log"), new StatsStore(), NullLogger.Instance));
    }
}
