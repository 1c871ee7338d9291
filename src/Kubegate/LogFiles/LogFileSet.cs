using System.Collections.Concurrent;
using Kubegate.Infrastructure;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.LogFiles;

/// <summary>
/// Every log file the process writes, one <see cref="LogFileWriter"/> per path: access logs, health-check event logs
/// and the admin access log all get their writer here, so one <see cref="ReopenAll"/> (SIGUSR1, <c>POST
/// /reopen_logs</c>, logrotate's postrotate) reopens all of them, and <see cref="CloseUnused"/> closes a file a reload
/// removed from the configuration.
/// </summary>
internal sealed partial class LogFileSet : IAsyncDisposable
{
    /// <summary>The key of the process's stdout (also what <c>/dev/stdout</c> maps to).</summary>
    public const string StdoutKey = "/dev/stdout";

    /// <summary>The key of the process's stderr (also what <c>/dev/stderr</c> maps to).</summary>
    public const string StderrKey = "/dev/stderr";

    private readonly ConcurrentDictionary<string, LogFileWriter> _writers = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly StatsStore _stats;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Counter _reopens;

    /// <param name="stats">Where <c>filesystem.*</c>, <c>access_log.*</c> are counted.</param>
    /// <param name="logger">Where write problems and reopens are logged.</param>
    /// <param name="time">The clock of the writers' flush interval; default <see cref="TimeProvider.System"/>.</param>
    public LogFileSet(StatsStore stats, ILogger logger, TimeProvider? time = null)
    {
        _stats = stats;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _reopens = stats.Counter("access_log.reopen_total");
    }

    /// <summary>The files open now.</summary>
    public IReadOnlyCollection<LogFileWriter> Writers => [.. _writers.Values];

    /// <summary>The key of <paramref name="path"/>: its full path, or <see cref="StdoutKey"/>/<see cref="StderrKey"/>.</summary>
    public static string KeyOf(string path) => path is StdoutKey or StderrKey ? path : Path.GetFullPath(path);

    /// <summary>
    /// The writer of <paramref name="path"/>, opened for append on first use (throws when it cannot be).
    /// <paramref name="immediate"/> (rare lines: health events, admin requests) writes each line out at once; the first
    /// caller of a path decides.
    /// </summary>
    public LogFileWriter Get(string path, bool immediate = false)
    {
        var key = KeyOf(path);
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
                StdoutKey => LogFileWriter.OpenStandard(stderr: false, _stats, _logger, _time),
                StderrKey => LogFileWriter.OpenStandard(stderr: true, _stats, _logger, _time),
                _ => LogFileWriter.OpenFile(key, _stats, _logger, _time, immediate: immediate),
            };
            _writers[key] = writer;
            return writer;
        }
    }

    /// <summary>Reopens every file (after logrotate moved them away); no queued line is lost.</summary>
    public void ReopenAll()
    {
        _reopens.Increment();
        foreach (var writer in _writers.Values)
        {
            writer.Reopen();
        }

        Log.Reopened(_logger, _writers.Count);
    }

    /// <summary>
    /// Closes every file not in <paramref name="paths"/> (the files the configuration now in force names), writing
    /// out what was queued for it. A later <see cref="Get"/> of such a path opens it again.
    /// </summary>
    public async Task CloseUnusedAsync(IEnumerable<string> paths)
    {
        var keep = paths.Select(KeyOf).ToHashSet(StringComparer.Ordinal);
        List<LogFileWriter> closing = [];
        lock (_lock)
        {
            foreach (var (key, writer) in _writers)
            {
                if (!keep.Contains(key) && _writers.TryRemove(key, out _))
                {
                    closing.Add(writer);
                }
            }
        }

        foreach (var writer in closing)
        {
            Log.Closed(_logger, writer.Path);
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Writes out every queued line and closes the files.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var writer in _writers.Values)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.AccessLogReopened, LogLevel.Information, "reopening {Count} log file(s)", EventName = "AccessLogReopened")]
        public static partial void Reopened(ILogger logger, int count);

        [LoggerMessage(EventIds.LogFileClosed, LogLevel.Information, "log file {Path} closed: no longer in the configuration", EventName = "LogFileClosed")]
        public static partial void Closed(ILogger logger, string path);
    }
}
