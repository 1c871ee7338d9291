using Kubegate.Testing;
using System.Diagnostics;
using System.Text;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// Runs the real kubegate executable (built next to the tests) as a child process, capturing its output, and
/// stops only that process, by its PID. <see cref="StartExecutable"/> runs another test program the same way
/// (kubegate-test-apiserver), and either can run inside a network namespace.
/// </summary>
internal sealed class KubegateProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _output = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private KubegateProcess(Process process)
    {
        _process = process;
    }

    public static string ExecutablePath => Path.Combine(AppContext.BaseDirectory, "kubegate");

    /// <summary>The repository root (the folder holding kubegate.slnx), where the example configs' relative paths resolve.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "kubegate.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("kubegate.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    public int Id => _process.Id;

    public string StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

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

    public Task Exited => _exited.Task;

    public int ExitCode => _process.ExitCode;

    // Set by systemd when the test run itself is a unit: a child must neither notify the test run's service manager
    // nor switch to the journal log format unless a test asks for it. The test run's socket-engine choice is not
    // passed on either: the executable picks its own default, which is what the tests of the executable check.
    private static readonly string[] ClearedVariables =
        ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "SYSTEMD_EXEC_PID", "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"];

    public static KubegateProcess Start(string workingDirectory, params string[] args) =>
        Start(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>Starts kubegate with extra environment variables (e.g. NOTIFY_SOCKET), the systemd ones and the socket-engine switch cleared first.</summary>
    public static KubegateProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start(workingDirectory, environment, fileLimit: null, args);

    /// <summary>
    /// As <see cref="Start(string, IReadOnlyDictionary{string, string}, string[])"/>, with RLIMIT_NOFILE set to
    /// <paramref name="fileLimit"/> (through util-linux's prlimit, which execs kubegate: the PID stays kubegate's).
    /// </summary>
    public static KubegateProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, int? fileLimit, params string[] args) =>
        StartExecutable(ExecutablePath, workingDirectory, environment, fileLimit, networkNamespace: null, args);

    /// <summary>
    /// As above, and with the named signals (HUP, INT, ...) ignored when kubegate starts, as under <c>nohup</c> or as
    /// a shell script's background job: a shell sets them to ignored and execs the rest, so the PID stays kubegate's.
    /// </summary>
    public static KubegateProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, int? fileLimit, IReadOnlyList<string> ignoredSignals, params string[] args) =>
        Launch(ExecutablePath, workingDirectory, environment, fileLimit, networkNamespace: null, ignoredSignals, args);

    /// <summary>
    /// Starts <paramref name="executable"/> (kubegate or another program built next to the tests), optionally with
    /// RLIMIT_NOFILE set (util-linux's prlimit) and inside the network namespace <paramref name="networkNamespace"/>
    /// (iproute2's <c>ip netns exec</c>). Both exec the program instead of forking, so <see cref="Id"/> is the
    /// program's own PID and signals reach it directly.
    /// </summary>
    public static KubegateProcess StartExecutable(string executable, string workingDirectory, IReadOnlyDictionary<string, string> environment, int? fileLimit, string? networkNamespace, params string[] args) =>
        Launch(executable, workingDirectory, environment, fileLimit, networkNamespace, ignoredSignals: [], args);

    private static KubegateProcess Launch(string executable, string workingDirectory, IReadOnlyDictionary<string, string> environment, int? fileLimit, string? networkNamespace, IReadOnlyList<string> ignoredSignals, string[] args)
    {
        // Each wrapper execs the next: sh (trap '' = ignore, kept across exec) -> ip netns exec -> prlimit -> program.
        var command = new List<string>();
        if (ignoredSignals.Count > 0)
        {
            command.AddRange(["/bin/sh", "-c", $"trap '' {string.Join(' ', ignoredSignals)}; exec \"$@\"", "sh"]);
        }

        if (networkNamespace is not null)
        {
            command.AddRange(["ip", "netns", "exec", networkNamespace]);
        }

        if (fileLimit is { } limit)
        {
            command.AddRange(["prlimit", FormattableString.Invariant($"--nofile={limit}:{limit}"), "--"]);
        }

        command.Add(executable);
        command.AddRange(args);
        var info = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in ClearedVariables)
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var result = new KubegateProcess(process);
        process.OutputDataReceived += (_, e) => result.Append(result._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => result.Append(result._stderr, e.Data);
        process.Exited += (_, _) => result._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    /// <summary>Runs to completion and returns the exit code (output is then complete).</summary>
    public static async Task<KubegateProcess> RunAsync(string workingDirectory, params string[] args)
    {
        var process = Start(workingDirectory, args);
        await process.Exited.DefaultTimeout();
        await process._process.WaitForExitAsync().DefaultTimeout();
        return process;
    }

    /// <summary>Sends SIGTERM, as systemd or Ctrl-C would, to this process only.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>Sends the named signal (TERM, INT, HUP, USR1) to this process only, by its PID.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>Waits until a line of standard output satisfies <paramref name="match"/> (re-checked at every new line); fails early if the process exits.</summary>
    public async Task WaitForOutputAsync(Func<string, bool> match, TimeSpan timeout, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(match))] string what = "")
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            lock (_stdout)
            {
                changed = _output.Task;
            }

            if (StandardOutput.Split('\n').Any(line => match(line.TrimEnd('\r'))))
            {
                return;
            }

            var remaining = timeout - deadline.Elapsed;
            if (_exited.Task.IsCompleted || remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no output line matching '{what}' within {timeout.TotalSeconds} s (exited: {_exited.Task.IsCompleted}).\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}");
            }

            await Task.WhenAny(changed, _exited.Task, Task.Delay(remaining));
        }
    }

    public async Task WaitForExitAsync()
    {
        await Exited.DefaultTimeout();
        await _process.WaitForExitAsync().DefaultTimeout();
    }

    private void Append(StringBuilder builder, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (builder)
        {
            builder.AppendLine(line);
            if (builder == _stdout)
            {
                _output.TrySetResult();
                _output = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
