using Kubegate.Configuration;
using Kubegate.Infrastructure;
using Kubegate.LogFiles;
using Microsoft.Extensions.Logging;

namespace Kubegate.AccessLog;

/// <summary>
/// The access logs of the process: compiles each logger's format and gets its destination from the process's one
/// <see cref="LogFileSet"/> (loggers naming the same path share a writer, across listeners and reloads, and every
/// reopen reaches them with the other log files).
/// </summary>
internal sealed partial class AccessLogManager
{
    private readonly LogFileSet _files;
    private readonly ILogger _logger;

    public AccessLogManager(LogFileSet files, ILogger logger)
    {
        _files = files;
        _logger = logger;
    }

    /// <summary>The file paths (or <c>/dev/stdout</c>, <c>/dev/stderr</c>) the access logs of <paramref name="snapshot"/> write to.</summary>
    public static IEnumerable<string> PathsOf(ConfigSnapshot snapshot) =>
        snapshot.Listeners.SelectMany(l => l.AccessLog.Concat(l.AllFilterChains.SelectMany(c => c.TcpProxy.AccessLog))).Select(KeyOf);

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
            foreach (var config in listener.AccessLog.Concat(listener.AllFilterChains.SelectMany(c => c.TcpProxy.AccessLog)))
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
    public LogFileWriter GetWriter(AccessLogConfig config) => _files.Get(KeyOf(config));

    private static string KeyOf(AccessLogConfig config)
    {
        if (config.TypeUrl.EndsWith("StdoutAccessLog", StringComparison.Ordinal))
        {
            return LogFileSet.StdoutKey;
        }

        if (config.TypeUrl.EndsWith("StderrAccessLog", StringComparison.Ordinal))
        {
            return LogFileSet.StderrKey;
        }

        var path = config.Path;
        if (string.IsNullOrEmpty(path))
        {
            throw new ArgumentException("the file access logger has no path");
        }

        return LogFileSet.KeyOf(path);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.AccessLogCompileFailed, LogLevel.Warning, "access log {Name} skipped: {Error}", EventName = "AccessLogCompileFailed")]
        public static partial void CompileFailed(ILogger logger, string name, string error);
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
