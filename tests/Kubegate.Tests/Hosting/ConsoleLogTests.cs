using System.Text;
using Kubegate.Hosting;
using Microsoft.Extensions.Logging;

namespace Kubegate.Tests.Hosting;

public sealed class ConsoleLogTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 7, 12, 0, 1, 234, TimeSpan.FromHours(1));

    [Fact]
    public void Timestamped_IsTheSimpleFormattersSingleLine_WithLocalTime()
    {
        var line = ConsoleLogProvider.FormatLine(ConsoleLogStyle.Timestamped, colors: false, Noon, LogLevel.Warning, "kubegate.config", 802, "bad\nreload", exception: null);

        Assert.Equal("2026-12-07 12:00:01.234 warn: kubegate.config[802] bad reload\n", line);
    }

    [Fact]
    public void Journal_StartsWithThePriority_AndHasNoTimestamp()
    {
        Assert.Equal("<6>kubegate[101] started: 3 listener(s)\n", ConsoleLogProvider.FormatLine(ConsoleLogStyle.Journal, colors: true, Noon, LogLevel.Information, "kubegate", 101, "started: 3 listener(s)", null));
        Assert.StartsWith("<4>", ConsoleLogProvider.FormatLine(ConsoleLogStyle.Journal, false, Noon, LogLevel.Warning, "c", 1, "m", null), StringComparison.Ordinal);
        Assert.StartsWith("<3>", ConsoleLogProvider.FormatLine(ConsoleLogStyle.Journal, false, Noon, LogLevel.Error, "c", 1, "m", null), StringComparison.Ordinal);
        Assert.StartsWith("<2>", ConsoleLogProvider.FormatLine(ConsoleLogStyle.Journal, false, Noon, LogLevel.Critical, "c", 1, "m", null), StringComparison.Ordinal);
        Assert.StartsWith("<7>", ConsoleLogProvider.FormatLine(ConsoleLogStyle.Journal, false, Noon, LogLevel.Debug, "c", 1, "m", null), StringComparison.Ordinal);
    }

    [Fact]
    public void Exception_FollowsTheMessage_OnTheSameLine()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("reactor 1 failed");
        }
        catch (InvalidOperationException ex)
        {
            thrown = ex;
        }

        var line = ConsoleLogProvider.FormatLine(ConsoleLogStyle.Timestamped, false, Noon, LogLevel.Error, "kubegate.reactor", 5, "connection closed", thrown)!;

        Assert.StartsWith("2026-12-07 12:00:01.234 fail: kubegate.reactor[5] connection closed System.InvalidOperationException: reactor 1 failed ", line, StringComparison.Ordinal);
        Assert.Contains(nameof(Exception_FollowsTheMessage_OnTheSameLine), line, StringComparison.Ordinal);
        Assert.Equal(1, line.Count(c => c == '\n'));
        Assert.EndsWith("\n", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Colors_WrapOnlyTheLevelWord()
    {
        var line = ConsoleLogProvider.FormatLine(ConsoleLogStyle.Timestamped, colors: true, Noon, LogLevel.Warning, "c", 1, "m", null)!;

        Assert.Equal("2026-12-07 12:00:01.234 \e[1m\e[33mwarn\e[39m\e[22m\e[49m: c[1] m\n", line);
    }

    [Fact]
    public void EntryWithoutMessageOrException_WritesNothing()
    {
        Assert.Null(ConsoleLogProvider.FormatLine(ConsoleLogStyle.Timestamped, false, Noon, LogLevel.Information, "c", 1, "", null));
    }

    [Fact]
    public async Task Provider_WritesEveryLineInOrder_ThroughTheQueueAndAfterDispose()
    {
        // More lines than the queue holds: the logging thread waits for the writer instead of dropping any.
        var count = ConsoleLogProvider.MaxQueuedLines + 500;
        var output = new LineCountingWriter(expected: count);
        var provider = new ConsoleLogProvider(ConsoleLogStyle.Journal, colors: false, output);
        using (var factory = LoggerFactory.Create(b => b.AddProvider(provider)))
        {
            var logger = factory.CreateLogger("kubegate.test");
            for (var i = 0; i < count; i++)
            {
                logger.LogInformation("line {Number}", i);
            }

            await output.AllWritten.WaitAsync(TimeSpan.FromSeconds(60));
        }

        provider.Dispose();
        // A line logged after the provider was disposed (the host's last words) is written directly.
        provider.CreateLogger("kubegate").LogWarning("stopped");

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(count + 1, lines.Length);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal($"<6>kubegate.test[0] line {i}", lines[i]);
        }

        Assert.Equal("<4>kubegate[0] stopped", lines[^1]);
    }

    private sealed class LineCountingWriter(int expected) : StringWriter
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _lines;

        public Task AllWritten => _all.Task;

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(string? value)
        {
            base.Write(value);
            if (value is not null && value.EndsWith('\n') && Interlocked.Increment(ref _lines) == expected)
            {
                _all.TrySetResult();
            }
        }
    }
}
