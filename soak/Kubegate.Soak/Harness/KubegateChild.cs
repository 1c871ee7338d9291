using System.Diagnostics;
using System.Globalization;

namespace Kubegate.Soak.Harness;

/// <summary>
/// The published kubegate as a child process in the run's directory, its stdout and stderr appended to
/// <c>kubegate.log</c> there; stopped only by its PID (SIGTERM, then SIGKILL).
/// </summary>
internal sealed class KubegateChild : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _lock = new();
    /// <summary>The health event "host is unhealthy" (EventIds.HealthCheckHostUnhealthy, 500), which the health flap causes on purpose.</summary>
    private const string UnhealthyHostEvent = "kubegate.health[500]";

    private long _warnings;
    private long _unhealthyHostWarnings;
    private long _errors;

    private KubegateChild(Process process, StreamWriter log, string logPath)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string LogPath { get; }

    /// <summary>Lines kubegate logged at warning level (<c>warn:</c>), and at error or critical level (<c>fail:</c>, <c>crit:</c>).</summary>
    public long Warnings => Interlocked.Read(ref _warnings);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Of <see cref="Warnings"/>, those saying a host turned unhealthy.</summary>
    public long UnhealthyHostWarnings => Interlocked.Read(ref _unhealthyHostWarnings);

    public static KubegateChild Start(string executable, string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Not a systemd service, whatever started the soak.
        foreach (var name in (string[])["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"])
        {
            info.Environment.Remove(name);
        }

        var logPath = Path.Combine(workingDirectory, "kubegate.log");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        var child = new KubegateChild(process, log, logPath);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>SIGTERM, as systemd stops it; true if it exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return true;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The last <paramref name="count"/> lines of its log, for the report when something went wrong.</summary>
    public IReadOnlyList<string> Tail(int count)
    {
        lock (_lock)
        {
            _log.Flush();
        }

        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var lines = new Queue<string>();
            while (reader.ReadLine() is { } line)
            {
                lines.Enqueue(line);
                if (lines.Count > count)
                {
                    lines.Dequeue();
                }
            }

            return [.. lines];
        }
        catch (IOException)
        {
            return [];
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
        lock (_lock)
        {
            _log.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        // kubegate's console lines: "<date> <time> <level>: <category>[<event id>] <message>".
        if (line.Contains(" warn: ", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _warnings);
            if (line.Contains(UnhealthyHostEvent, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _unhealthyHostWarnings);
            }
        }
        else if (line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _errors);
        }

        lock (_lock)
        {
            _log.WriteLine(line);
        }
    }
}
