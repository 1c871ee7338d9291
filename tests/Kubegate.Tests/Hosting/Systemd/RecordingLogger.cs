using Microsoft.Extensions.Logging;

namespace Kubegate.Tests.Hosting.Systemd;

/// <summary>Keeps every log entry (level, event name, message) written through it.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly Lock _lock = new();
    private readonly List<(LogLevel Level, string? EventName, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, string? EventName, string Message)> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            _entries.Add((logLevel, eventId.Name, formatter(state, exception)));
        }
    }
}
