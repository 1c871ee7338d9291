using System.Globalization;
using Kubegate.LogFiles;

namespace Kubegate.Admin;

/// <summary>
/// The admin access log (<c>admin.access_log</c> file loggers, or the deprecated <c>admin.access_log_path</c>):
/// one line per admin request, <c>[&lt;ISO time&gt;] "&lt;METHOD&gt; &lt;path&gt; HTTP/1.1" &lt;status&gt; &lt;bytes&gt; &lt;ms&gt;</c>,
/// appended. <c>/dev/null</c> (or no path) means off. The files are the process's <see cref="LogFileSet"/> writers, so
/// every reopen (<c>POST /reopen_logs</c>, SIGUSR1) reaches them with the other log files.
/// </summary>
internal sealed class AdminAccessLog
{
    private readonly LogFileSet _files;
    private readonly string[] _paths;

    public AdminAccessLog(LogFileSet files, IEnumerable<string?> paths)
    {
        _files = files;
        _paths = [.. paths.Where(p => !string.IsNullOrEmpty(p) && !string.Equals(p, "/dev/null", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal)!];
    }

    /// <summary>True when some file is configured.</summary>
    public bool Enabled => _paths.Length > 0;

    public IReadOnlyList<string> Paths => _paths;

    /// <summary>The line for one request (without the newline).</summary>
    public static string FormatLine(DateTimeOffset time, string method, string pathAndQuery, int status, long bytes, long milliseconds) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"[{time.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}] \"{method} {pathAndQuery} HTTP/1.1\" {status} {bytes} {milliseconds}");

    /// <summary>Appends <paramref name="line"/> to every file; completes once it is written (the request is logged when it ends).</summary>
    public async Task WriteAsync(string line)
    {
        foreach (var path in _paths)
        {
            LogFileWriter writer;
            try
            {
                writer = _files.Get(path, immediate: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A vanished directory must not fail the admin request; the next line tries to open the file again.
                continue;
            }

            if (writer.TryEnqueue(line + "\n"))
            {
                await writer.FlushAsync().ConfigureAwait(false);
            }
        }
    }
}
