using System.Collections.Concurrent;
using System.Threading.Channels;
using Kubegate.AccessLog;
using Kubegate.Configuration;
using Kubegate.Hosting;
using Kubegate.Infrastructure;
using Kubegate.Proxy;
using Kubegate.Testing;
using Microsoft.Extensions.Logging;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// Observes how connections end. kubegate has no close hook yet (the access log will be one), but every connection
/// logs <c>ConnectionClosed</c> synchronously from its close path while still registered with the connection manager,
/// so a logger that looks the connection up at that moment sees its final response flags, host and byte counts.
/// </summary>
internal sealed class ConnectionRecorder : ILoggerFactory
{
    private readonly Channel<ClosedConnection> _closed = Channel.CreateUnbounded<ClosedConnection>();
    private readonly ConcurrentQueue<ClosedConnection> _all = new();
    private ConnectionManager? _connections;

    /// <summary>Every connection closed so far, in close order.</summary>
    public IReadOnlyCollection<ClosedConnection> Closed => _all;

    /// <summary>Builds a server that logs to this recorder (start it as usual).</summary>
    public KubegateServer CreateServer(ConfigSnapshot snapshot, KubegateServerOptions? options = null)
    {
        var server = new KubegateServer(snapshot, options, this);
        _connections = server.Connections;
        return server;
    }

    /// <summary>The next connection to close (in close order).</summary>
    public async Task<ClosedConnection> NextClosedAsync() => await _closed.Reader.ReadAsync().AsTask().DefaultTimeout();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private void OnConnectionClosed(long id)
    {
        var connection = _connections?.Connections.FirstOrDefault(c => c.Id == id);
        if (connection is null)
        {
            return;
        }

        var closed = new ClosedConnection(
            id,
            connection.ResponseFlags,
            connection.UpstreamHost,
            connection.ConnectAttempts,
            connection.UpstreamFailureReason,
            connection.BytesReceived,
            connection.BytesSent);
        _all.Enqueue(closed);
        _closed.Writer.TryWrite(closed);
    }

    private sealed class Logger(ConnectionRecorder recorder) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id != EventIds.ConnectionClosed || state is not IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                return;
            }

            foreach (var (key, value) in values)
            {
                if (key == "ConnectionId" && value is long id)
                {
                    recorder.OnConnectionClosed(id);
                    return;
                }
            }
        }
    }
}
