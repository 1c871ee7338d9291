using Kubegate.Hosting;
using Kubegate.Tests.Health;
using Kubegate.Tests.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Kubegate.Tests.Hosting;

public sealed class CertificateExpiryReporterTests
{
    [Fact]
    public async Task Start_WarnsAtOnce_ThenOnceADay_WithTheWarningsOfThatDay()
    {
        var time = new ManualTimeProvider();
        var logger = new RecordingLogger();
        var asked = new List<DateTimeOffset>();
        await using var reporter = new CertificateExpiryReporter(now =>
        {
            lock (asked)
            {
                asked.Add(now);
            }

            return [$"the certificate of apiserver 10.0.0.1:6443 expires at day {asked.Count}"];
        }, logger, time);

        reporter.Start();
        Assert.Single(logger.Entries);
        Assert.Equal((LogLevel.Warning, "CertificateExpiresSoon"), (logger.Entries[0].Level, logger.Entries[0].EventName));
        Assert.Contains("apiserver 10.0.0.1:6443", logger.Entries[0].Message, StringComparison.Ordinal);

        time.Advance(CertificateExpiryReporter.Interval - TimeSpan.FromSeconds(1));
        Assert.Single(logger.Entries);
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(() => logger.Entries.Count == 2);
        Assert.Equal(time.GetUtcNow(), asked[^1]);
    }

    [Fact]
    public async Task NothingExpiring_LogsNothing()
    {
        var logger = new RecordingLogger();
        await using var reporter = new CertificateExpiryReporter(_ => [], logger, new ManualTimeProvider());

        Assert.Equal(0, reporter.ReportNow());
        Assert.Empty(logger.Entries);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        // The timer's continuation runs on the thread pool; bounded so a bug fails instead of hanging.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(5);
        }
    }
}
