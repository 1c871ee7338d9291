using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Operations;

/// <summary>
/// `make publish` from scratch (its own artifacts directory, so nothing is skipped as up to date and every trim or
/// AOT warning is printed again), then `make install` of the result with the self-containment check on.
/// About a minute of CPU: it runs in the heavy collection, alone.
/// </summary>
[Collection(HeavyTestCollection.Name)]
public class PublishTests : IDisposable
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(6);

    private readonly TestPaths _paths = TestPaths.Create("publish");

    public void Dispose() => _paths.Dispose();

    [Fact]
    public async Task Publish_FromScratch_HasNoWarningsAndInstallsAsOneSelfContainedBinary()
    {
        var output = _paths.Combine("out");
        var publish = await ToolRun.RunAsync(
            "make",
            KubegateProcess.RepositoryRoot,
            ["--no-print-directory", "publish", $"OUT={output}", $"PUBLISH_ARGS=--artifacts-path {_paths.Combine("artifacts")}"],
            PublishTimeout);

        Assert.True(publish.ExitCode == 0, publish.ToString());
        Assert.Contains("Generating native code", publish.StandardOutput, StringComparison.Ordinal);
        var warnings = publish.Output.Split('\n').Where(l => l.Contains("warning", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(warnings.Count == 0, string.Join('\n', warnings));

        // One file: no kubegate.dll, no runtime next to it (the .dbg symbols are not installed).
        Assert.Equal(["kubegate", "kubegate.dbg"], Directory.EnumerateFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var root = _paths.Combine("installed");
        Directory.CreateDirectory(Path.Combine(root, "log"));
        var install = await Make.RunAsync(
            KubegateProcess.RepositoryRoot, "install", $"KUBEGATE={output}/kubegate",
            $"PREFIX={root}/usr", $"SYSCONFDIR={root}/etc", $"LOGDIR={root}/log", $"UNITDIR={root}/systemd");
        Assert.True(install.ExitCode == 0, install.ToString());

        var envoyYaml = Path.Combine(root, "etc/kubegate/envoy.yaml");
        var validate = await ToolRun.RunAsync(
            Path.Combine(root, "usr/bin/kubegate"), root, ["--mode", "validate", "-c", envoyYaml], Make.DefaultTimeout);
        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.Equal($"configuration '{envoyYaml}' OK", validate.StandardOutput.Trim());
    }
}
