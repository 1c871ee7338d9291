using Kubegate.Configuration;
using Kubegate.Proxy.Filters;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.Proxy.Filters;

public class ConnectionLimitFilterTests
{
    [Fact]
    public void OnNewConnection_ExactlyMaxAdmittedAcrossThreads_AndAClosedOneFreesASlot()
    {
        var stats = new StatsStore();
        var filter = new ConnectionLimitFilter(new ConnectionLimitConfig { StatPrefix = "c", MaxConnections = 100, Delay = TimeSpan.FromMilliseconds(250) }, stats, NullLogger.Instance);
        var admitted = 0;

        Parallel.For(0, 1000, _ =>
        {
            if (filter.OnNewConnection(new ConnectionFacts(null, null, 0)).Admitted)
            {
                Interlocked.Increment(ref admitted);
            }
        });

        Assert.Equal(100, admitted);
        Assert.Equal(900, stats.GetValue("connection_limit.c.limited_connections"));
        Assert.Equal(100, stats.GetValue("connection_limit.c.active_connections"));
        var refused = filter.OnNewConnection(new ConnectionFacts(null, null, 0));
        Assert.Equal(250, refused.CloseDelayMs);
        filter.OnConnectionClosed(null);
        Assert.True(filter.OnNewConnection(new ConnectionFacts(null, null, 0)).Admitted);
    }

    [Fact]
    public void Refusals_AreLoggedAtMostOnceASecondWithTheCountLeftOut()
    {
        var logger = new RecordingLogger();
        var filter = new ConnectionLimitFilter(new ConnectionLimitConfig { StatPrefix = "c", MaxConnections = 1 }, new StatsStore(), logger);
        _ = filter.OnNewConnection(new ConnectionFacts(null, null, 0));

        for (var i = 0; i < 50; i++)
        {
            _ = filter.OnNewConnection(new ConnectionFacts(null, null, 10_000 + i));
        }

        _ = filter.OnNewConnection(new ConnectionFacts(null, null, 11_000));

        Assert.Equal(2, logger.Messages.Count);
        Assert.Contains("(0 more refusal(s)", logger.Messages[0], StringComparison.Ordinal);
        Assert.Contains("(49 more refusal(s)", logger.Messages[1], StringComparison.Ordinal);
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }
}
