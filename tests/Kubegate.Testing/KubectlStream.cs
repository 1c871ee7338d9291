using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace Kubegate.Testing;

/// <summary>
/// A long-running kubectl (a watch) whose stdout lines arrive through <see cref="Lines"/> as kubectl prints them.
/// Disposing kills the process (by its PID) if it is still running.
/// </summary>
public sealed class KubectlStream : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _command;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly List<string> _seen = [];
    private readonly StringBuilder _stderr = new();
    private readonly CountWaiter _lineCount = new();

    private KubectlStream(Process process, string command)
    {
        _process = process;
        _command = command;
    }

    /// <summary>kubectl's PID.</summary>
    public int ProcessId { get; private set; }

    /// <summary>stdout lines in arrival order; completes when kubectl exits.</summary>
    public ChannelReader<string> Lines => _lines.Reader;

    /// <summary>Every stdout line so far.</summary>
    public IReadOnlyList<string> LinesSeen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    /// <summary>stderr so far.</summary>
    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Completes with the exit code once kubectl has exited and its output has been read.</summary>
    public Task<int> Exited { get; private set; } = Task.FromResult(-1);

    /// <summary>Waits until at least <paramref name="count"/> stdout lines arrived; fails early, with kubectl's stderr, if kubectl exits first.</summary>
    /// <exception cref="TimeoutException">Fewer lines within <paramref name="timeout"/> (default <see cref="TaskExtensions.DefaultTimeoutValue"/>); names the caller and the lines seen.</exception>
    public async Task WaitForLinesAsync(int count, TimeSpan? timeout = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var wait = timeout ?? TaskExtensions.DefaultTimeoutValue;
        try
        {
            await _lineCount.WaitAsync(count).WaitAsync(wait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"{Path.GetFileName(file)}:{line}: kubectl {_command} printed {_lineCount.Count} of {count} lines within {wait.TotalSeconds} s.\n--- stdout ---\n{string.Join('\n', LinesSeen)}\n--- stderr ---\n{StandardError}");
        }
    }

    /// <summary>The lines as an async stream, ending when kubectl exits.</summary>
    public IAsyncEnumerable<string> ReadLinesAsync(CancellationToken cancellationToken = default) => _lines.Reader.ReadAllAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (ProcessId != 0 && !_process.HasExited)
        {
            Kubectl.Kill(_process);
        }

        try
        {
            await Exited.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    internal static KubectlStream Start(Process process, string command)
    {
        var stream = new KubectlStream(process, command);
        process.OutputDataReceived += (_, e) => stream.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stream._stderr)
                {
                    stream._stderr.Append(e.Data).Append('\n');
                }
            }
        };
        process.Start();
        stream.ProcessId = process.Id;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        stream.Exited = stream.WatchExitAsync();
        return stream;
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_seen)
        {
            _seen.Add(line);
        }

        _lines.Writer.TryWrite(line);
        _lineCount.Increment();
    }

    private async Task<int> WatchExitAsync()
    {
        // WaitForExitAsync also waits for the end of redirected stdout and stderr, so every line has been seen.
        await _process.WaitForExitAsync().ConfigureAwait(false);
        var exitCode = _process.ExitCode;
        _lines.Writer.TryComplete();
        _lineCount.Fail(new InvalidOperationException(
            $"kubectl {_command} exited with code {exitCode} after {_lineCount.Count} lines.\n--- stdout ---\n{string.Join('\n', LinesSeen)}\n--- stderr ---\n{StandardError}"));
        return exitCode;
    }
}
