using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kubegate.FunctionalTests.Reload;

/// <summary>Keeps every log line (Information and up) as "category[event id] Level: message", for asserting on log output.</summary>
internal sealed class LogCollector : ILoggerFactory
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private sealed class Logger(LogCollector owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._lines.Enqueue($"{category}[{eventId.Id}] {logLevel}: {formatter(state, exception)}");
            }
        }
    }
}
