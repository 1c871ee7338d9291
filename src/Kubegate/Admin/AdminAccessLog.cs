using System.Globalization;
using System.Text;

namespace Kubegate.Admin;

/// <summary>
/// The admin access log (<c>admin.access_log</c> file loggers, or the deprecated <c>admin.access_log_path</c>):
/// one line per admin request, <c>[&lt;ISO time&gt;] "&lt;METHOD&gt; &lt;path&gt; HTTP/1.1" &lt;status&gt; &lt;bytes&gt; &lt;ms&gt;</c>,
/// appended. <c>/dev/null</c> (or no path) means off. <see cref="Reopen"/> (<c>POST /reopen_logs</c>) closes the file
/// and opens the path again, so a rotated-away file is replaced by a new one.
/// </summary>
internal sealed class AdminAccessLog : IDisposable
{
    private readonly Lock _lock = new();
    private readonly string[] _paths;
    private readonly StreamWriter?[] _writers;

    public AdminAccessLog(IEnumerable<string?> paths)
    {
        _paths = [.. paths.Where(p => !string.IsNullOrEmpty(p) && !string.Equals(p, "/dev/null", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal)!];
        _writers = new StreamWriter?[_paths.Length];
    }

    /// <summary>True when some file is configured.</summary>
    public bool Enabled => _paths.Length > 0;

    public IReadOnlyList<string> Paths => _paths;

    /// <summary>The line for one request (without the newline).</summary>
    public static string FormatLine(DateTimeOffset time, string method, string pathAndQuery, int status, long bytes, long milliseconds) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"[{time.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}] \"{method} {pathAndQuery} HTTP/1.1\" {status} {bytes} {milliseconds}");

    public void Write(string line)
    {
        if (!Enabled)
        {
            return;
        }

        lock (_lock)
        {
            for (var i = 0; i < _paths.Length; i++)
            {
                try
                {
                    var writer = _writers[i] ??= Open(_paths[i]);
                    writer.Write(line);
                    writer.Write('\n');
                    writer.Flush();
                }
                catch (IOException)
                {
                    // A full disk or a vanished directory must not fail the admin request.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    /// <summary>Closes the files; the next line opens each path again.</summary>
    public void Reopen()
    {
        lock (_lock)
        {
            CloseAll();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            CloseAll();
        }
    }

    private static StreamWriter Open(string path) =>
        new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), new UTF8Encoding(false));

    private void CloseAll()
    {
        for (var i = 0; i < _writers.Length; i++)
        {
            _writers[i]?.Dispose();
            _writers[i] = null;
        }
    }
}
