using System.Collections.Concurrent;
using Kubegate.AccessLog.Formatting;
using Kubegate.Configuration;
using Kubegate.Infrastructure;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.AccessLog;

/// <summary>
/// Every access-log destination of the process: one <see cref="AccessLogWriter"/> per file path (loggers naming the
/// same path share it, across listeners and reloads), plus stdout and stderr. <see cref="ReopenAll"/> serves
/// <c>POST /reopen_logs</c> and SIGUSR1 (logrotate).
/// </summary>
internal sealed partial class AccessLogManager : IAsyncDisposable
{
    private const string StdoutKey = "/dev/stdout";
    private const string StderrKey = "/dev/stderr";

    private readonly ConcurrentDictionary<string, AccessLogWriter> _writers = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly StatsStore _stats;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Counter _reopens;

    public AccessLogManager(StatsStore stats, ILogger logger, TimeProvider? time = null)
    {
        _stats = stats;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _reopens = stats.Counter("access_log.reopen_total");
    }

    /// <summary>The destinations opened so far.</summary>
    public IReadOnlyCollection<AccessLogWriter> Writers => [.. _writers.Values];

    /// <summary>
    /// Compiles <paramref name="configs"/> into loggers; an empty array when there are none. A format that does not
    /// compile (config validation rejects those first) or a file that cannot be opened is logged and skipped.
    /// </summary>
    public AccessLogger[] Compile(IEnumerable<AccessLogConfig> configs)
    {
        List<AccessLogger>? loggers = null;
        foreach (var config in configs)
        {
            if (!AccessLogFormat.TryCompile(config, out var format, out var error))
            {
                Log.CompileFailed(_logger, config.Name, error ?? "invalid format");
                continue;
            }

            try
            {
                (loggers ??= []).Add(new AccessLogger(format!, GetWriter(config)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                Log.CompileFailed(_logger, config.Name, $"cannot open '{config.Path}': {ex.Message}");
            }
        }

        return loggers is null ? [] : [.. loggers];
    }

    /// <summary>
    /// Opens the file of every access log in <paramref name="snapshot"/>'s listeners for append; throws
    /// <see cref="AccessLogOpenException"/> naming the first one that cannot be opened (a start-up error, as in Envoy).
    /// </summary>
    public void OpenAll(ConfigSnapshot snapshot)
    {
        foreach (var listener in snapshot.Listeners)
        {
            foreach (var config in listener.AccessLog.Concat(listener.TcpProxy.AccessLog))
            {
                try
                {
                    GetWriter(config);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    throw new AccessLogOpenException($"listener '{listener.Name}': cannot open access log file '{config.Path}' for append: {ex.Message}", ex);
                }
            }
        }
    }

    /// <summary>The writer of <paramref name="config"/>'s destination, opened on first use (throws when it cannot be).</summary>
    public AccessLogWriter GetWriter(AccessLogConfig config)
    {
        var key = KeyOf(config);
        if (_writers.TryGetValue(key, out var writer))
        {
            return writer;
        }

        lock (_lock)
        {
            if (_writers.TryGetValue(key, out writer))
            {
                return writer;
            }

            writer = key switch
            {
                StdoutKey => AccessLogWriter.OpenStandard(stderr: false, _stats, _logger, _time),
                StderrKey => AccessLogWriter.OpenStandard(stderr: true, _stats, _logger, _time),
                _ => AccessLogWriter.OpenFile(key, _stats, _logger, _time),
            };
            _writers[key] = writer;
            return writer;
        }
    }

    /// <summary>Reopens every access-log file (after logrotate moved them away); no queued line is lost.</summary>
    public void ReopenAll()
    {
        _reopens.Increment();
        foreach (var writer in _writers.Values)
        {
            writer.Reopen();
        }

        Log.Reopened(_logger, _writers.Count);
    }

    /// <summary>Writes out every queued line and closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var writer in _writers.Values)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string KeyOf(AccessLogConfig config)
    {
        if (config.TypeUrl.EndsWith("StdoutAccessLog", StringComparison.Ordinal))
        {
            return StdoutKey;
        }

        if (config.TypeUrl.EndsWith("StderrAccessLog", StringComparison.Ordinal))
        {
            return StderrKey;
        }

        var path = config.Path;
        if (string.IsNullOrEmpty(path))
        {
            throw new ArgumentException("the file access logger has no path");
        }

        return path is StdoutKey or StderrKey ? path : Path.GetFullPath(path);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.AccessLogCompileFailed, LogLevel.Warning, "access log {Name} skipped: {Error}", EventName = "AccessLogCompileFailed")]
        public static partial void CompileFailed(ILogger logger, string name, string error);

        [LoggerMessage(EventIds.AccessLogReopened, LogLevel.Information, "reopening {Count} access log destination(s)", EventName = "AccessLogReopened")]
        public static partial void Reopened(ILogger logger, int count);
    }
}

/// <summary>An access-log file that cannot be opened at start-up.</summary>
internal sealed class AccessLogOpenException : Exception
{
    public AccessLogOpenException()
    {
    }

    public AccessLogOpenException(string message)
        : base(message)
    {
    }

    public AccessLogOpenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
