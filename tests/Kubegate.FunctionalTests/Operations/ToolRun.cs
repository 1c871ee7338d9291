using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Kubegate.FunctionalTests.Operations;

/// <summary>
/// Runs an operator's tool (make, systemd-analyze, logrotate) to completion with a deadline and returns its exit
/// code and output. On timeout it kills the process and the children it started (make runs dotnet and bash).
/// </summary>
internal sealed record ToolRun(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Make and dotnet variables of an enclosing `make test` or `dotnet test` that must not leak into the run.</summary>
    private static readonly string[] InheritedVariables =
    [
        "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "MAKEFILES",
        "DESTDIR", "PREFIX", "BINDIR", "SYSCONFDIR", "CONFDIR", "LOGDIR", "UNITDIR", "LOGROTATEDIR", "CONFIG", "KUBEGATE",
        "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly",
    ];

    public string Output => StandardOutput + StandardError;

    public static async Task<ToolRun> RunAsync(
        string fileName,
        string workingDirectory,
        IEnumerable<string> args,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        [CallerFilePath] string file = "",
        [CallerLineNumber] int line = 0)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in InheritedVariables)
        {
            info.Environment.Remove(name);
        }

        // A build must not leave MSBuild nodes or the compiler server behind: they would outlive the test and keep
        // its output pipes open, so reading to the end would never finish.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException(
                $"{Path.GetFileName(file)}:{line}: {fileName} {string.Join(' ', args)} still running after {timeout.TotalSeconds} s; killed.\n" +
                $"--- stdout ---\n{await stdout}\n--- stderr ---\n{await stderr}");
        }

        return new ToolRun(process.ExitCode, await stdout, await stderr);
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";
}
