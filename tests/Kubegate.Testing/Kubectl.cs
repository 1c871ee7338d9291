using System.Diagnostics;
using System.Globalization;

namespace Kubegate.Testing;

/// <summary>
/// Runs the real kubectl against one kubeconfig, with a private HOME and discovery cache (<c>KUBECACHEDIR</c>) so
/// nothing leaks between tests or from the developer's own <c>~/.kube</c>. Dispose removes that directory.
/// </summary>
public sealed class Kubectl : IDisposable
{
    /// <summary>The per-run deadline <see cref="RunAsync(string[])"/> uses: kubectl against 127.0.0.1 takes well under a second.</summary>
    public static readonly TimeSpan DefaultRunTimeout = TimeSpan.FromSeconds(20);

    private static readonly Lazy<string> Executable = new(FindExecutable);

    private static readonly string[] ProxyVariables = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"];

    public Kubectl(string kubeconfigPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(kubeconfigPath);
        KubeconfigPath = kubeconfigPath;
        HomeDirectory = Path.Combine(Path.GetTempPath(), "kubegate-kubectl", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(HomeDirectory);
    }

    /// <summary>
    /// The kubectl binary: the first <c>kubectl</c> on PATH, else <c>/usr/bin/kubectl</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">kubectl is not installed.</exception>
    public static string ExecutablePath => Executable.Value;

    /// <summary>The kubeconfig every run passes with <c>--kubeconfig</c>.</summary>
    public string KubeconfigPath { get; }

    /// <summary>The private HOME; the discovery cache is <c>cache</c> in it.</summary>
    public string HomeDirectory { get; }

    /// <summary>
    /// Extra environment variables for every run, e.g. <c>DISABLE_HTTP2=true</c> (client-go then speaks HTTP/1.1 only).
    /// </summary>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Runs <c>kubectl --kubeconfig … --request-timeout=… &lt;args&gt;</c> with <see cref="DefaultRunTimeout"/>.</summary>
    public Task<KubectlResult> RunAsync(params string[] args) => RunAsync(args, DefaultRunTimeout);

    /// <summary>
    /// Runs kubectl to completion; kubectl's own <c>--request-timeout</c> is set a little below
    /// <paramref name="timeout"/>, so a hung request fails inside kubectl with its own message first.
    /// </summary>
    /// <exception cref="TimeoutException">kubectl was still running after <paramref name="timeout"/>; it has been killed.</exception>
    public async Task<KubectlResult> RunAsync(IEnumerable<string> args, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var requestTimeout = timeout > TimeSpan.FromSeconds(2) ? timeout - TimeSpan.FromSeconds(1) : timeout;
        var info = CreateStartInfo([$"--request-timeout={(int)Math.Ceiling(requestTimeout.TotalSeconds)}s", .. args]);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            var partialOut = await stdout.ConfigureAwait(false);
            var partialErr = await stderr.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"kubectl {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s and was killed.\n--- stdout ---\n{partialOut}\n--- stderr ---\n{partialErr}");
        }

        return new KubectlResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>
    /// Starts a long-running kubectl (<c>get --raw '/api/v1/namespaces?watch=true'</c>, <c>get ns --watch</c>) whose
    /// stdout lines can be read as they arrive. No <c>--request-timeout</c> is added; disposing the stream kills the
    /// process.
    /// </summary>
    public KubectlStream Start(params string[] args)
    {
        var info = CreateStartInfo(args);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        return KubectlStream.Start(process, string.Join(' ', args));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(HomeDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    internal static void Kill(Process process)
    {
        try
        {
            // Only this PID: kubectl starts no children, and the rule is to end exactly the processes we started.
            process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private ProcessStartInfo CreateStartInfo(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = HomeDirectory,
        };
        info.ArgumentList.Add("--kubeconfig");
        info.ArgumentList.Add(KubeconfigPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["HOME"] = HomeDirectory;
        info.Environment["KUBECACHEDIR"] = Path.Combine(HomeDirectory, "cache");
        info.Environment.Remove("KUBECONFIG");

        // Go skips proxies for loopback addresses anyway; removing them also keeps a proxy from ever seeing a test.
        foreach (var name in ProxyVariables)
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in Environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    private static string FindExecutable()
    {
        var path = System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, OperatingSystem.IsWindows() ? "kubectl.exe" : "kubectl");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        const string fallback = "/usr/bin/kubectl";
        if (File.Exists(fallback))
        {
            return fallback;
        }

        throw new FileNotFoundException(
            string.Format(CultureInfo.InvariantCulture, "The kubectl binary was not found on PATH ({0}) nor at {1}. The kubectl tests run the real kubectl; install it (https://kubernetes.io/docs/tasks/tools/) and re-run.", path, fallback),
            "kubectl");
    }
}
