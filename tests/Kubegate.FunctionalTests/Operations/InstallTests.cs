using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Operations;

/// <summary>
/// `make install`, `make uninstall` and `make purge` into temporary trees, with the framework-dependent kubegate the
/// tests run (CHECK_BINARY=0: a NativeAOT publish is PublishTests' job).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class InstallTests : IDisposable
{
    private const string ManifestName = ".make-install.sha256";

    private static readonly string[] ConfigFiles =
        ["envoy.yaml", "lds.yaml", "cds.yaml", "eds_cluster1.yaml", "eds_cluster2.yaml", "pki/cluster1-ca.crt"];

    private readonly TestPaths _paths = TestPaths.Create("install");

    public void Dispose() => _paths.Dispose();

    private string DestDir => _paths.Combine("destdir");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Install_IntoDestDir_WritesEachFileToItsPlaceNamingTheFinalPaths(bool fromExampleFolder)
    {
        Directory.CreateDirectory(Path.Combine(DestDir, "etc/logrotate.d"));

        var install = await MakeAsync(fromExampleFolder ? Make.ExampleDirectory : KubegateProcess.RepositoryRoot, "install");

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(
            [
                "etc/kubegate/" + ManifestName, "etc/kubegate/cds.yaml", "etc/kubegate/eds_cluster1.yaml",
                "etc/kubegate/eds_cluster2.yaml", "etc/kubegate/envoy.yaml", "etc/kubegate/lds.yaml",
                "etc/kubegate/pki/cluster1-ca.crt", "etc/logrotate.d/kubegate", "etc/systemd/system/kubegate.service",
                "usr/local/bin/kubegate",
            ],
            FilesUnder(DestDir));

        var binary = Path.Combine(DestDir, "usr/local/bin/kubegate");
        Assert.Equal(File.ReadAllBytes(KubegateProcess.ExecutablePath), File.ReadAllBytes(binary));
        Assert.True(File.GetUnixFileMode(binary).HasFlag(UnixFileMode.OtherExecute));

        var conf = Path.Combine(DestDir, "etc/kubegate");
        Assert.Contains("path: /etc/kubegate/lds.yaml", File.ReadAllText(Path.Combine(conf, "envoy.yaml")), StringComparison.Ordinal);
        Assert.Contains("path: /etc/kubegate/cds.yaml", File.ReadAllText(Path.Combine(conf, "envoy.yaml")), StringComparison.Ordinal);
        var cds = File.ReadAllText(Path.Combine(conf, "cds.yaml"));
        Assert.Contains("path: /etc/kubegate/eds_cluster1.yaml", cds, StringComparison.Ordinal);
        Assert.Contains("path: /etc/kubegate/eds_cluster2.yaml", cds, StringComparison.Ordinal);
        Assert.Contains("filename: /etc/kubegate/pki/cluster1-ca.crt", cds, StringComparison.Ordinal);
        var lds = File.ReadAllText(Path.Combine(conf, "lds.yaml"));
        Assert.Equal(2, CountOf(lds, "path: /var/log/kubegate/access.log"));
        Assert.DoesNotContain("/dev/stdout", lds, StringComparison.Ordinal);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(Make.ExampleDirectory, "pki/cluster1-ca.crt")),
            File.ReadAllBytes(Path.Combine(conf, "pki/cluster1-ca.crt")));
        foreach (var file in FilesUnder(DestDir).Where(f => !f.StartsWith("usr/", StringComparison.Ordinal)))
        {
            var text = File.ReadAllText(Path.Combine(DestDir, file));
            Assert.DoesNotContain(DestDir, text, StringComparison.Ordinal);
            // Only the "installed from" header may still name the example folder.
            Assert.DoesNotContain(
                text.Split('\n').Where(l => !l.StartsWith("# Installed by `make install`", StringComparison.Ordinal)),
                l => l.Contains("examples/k8s-api-proxy/", StringComparison.Ordinal));
        }

        var unit = File.ReadAllText(Path.Combine(DestDir, "etc/systemd/system/kubegate.service"));
        Assert.Contains("\nExecStart=/usr/local/bin/kubegate -c /etc/kubegate/envoy.yaml ", unit, StringComparison.Ordinal);
        Assert.Contains("\nExecStartPre=/usr/local/bin/kubegate --mode validate -c /etc/kubegate/envoy.yaml\n", unit, StringComparison.Ordinal);
        Assert.Contains("/var/log/kubegate/*.log {", File.ReadAllText(Path.Combine(DestDir, "etc/logrotate.d/kubegate")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_WithLocationsOutsideDestDir_ConfigValidatesUnitVerifiesAndLogsRotate()
    {
        // Without DESTDIR the installed files name their real temporary locations, so the whole install can be used.
        var root = _paths.Directory;
        Directory.CreateDirectory(Path.Combine(root, "logrotate.d"));
        Directory.CreateDirectory(Path.Combine(root, "log"));

        var install = await Make.RunAsync(
            KubegateProcess.RepositoryRoot, "install", $"KUBEGATE={KubegateProcess.ExecutablePath}", "CHECK_BINARY=0",
            $"PREFIX={root}/usr", $"SYSCONFDIR={root}/etc", $"LOGDIR={root}/log", $"UNITDIR={root}/systemd",
            $"LOGROTATEDIR={root}/logrotate.d");
        Assert.True(install.ExitCode == 0, install.ToString());

        // From a working directory that is not the repository root: every path in the installed files is absolute.
        var envoyYaml = Path.Combine(root, "etc/kubegate/envoy.yaml");
        await using (var validate = await KubegateProcess.RunAsync(root, "--mode", "validate", "-c", envoyYaml))
        {
            Assert.True(validate.ExitCode == 0, validate.StandardError);
            Assert.Equal($"configuration '{envoyYaml}' OK", validate.StandardOutput.Trim());
        }

        var unit = Path.Combine(root, "systemd/kubegate.service");
        Assert.Contains($"\nExecStart={root}/usr/bin/kubegate -c {envoyYaml} ", File.ReadAllText(unit), StringComparison.Ordinal);
        var verify = await ToolRun.RunAsync("systemd-analyze", root, ["verify", unit], Make.DefaultTimeout);
        Assert.True(verify.ExitCode == 0 && verify.Output.Length == 0, verify.ToString());

        // The access log goes to LOGDIR; logrotate renames it, then postrotate asks systemd to signal kubegate. A
        // stand-in systemctl first on PATH records that request, so no service of this machine is touched.
        var accessLog = Path.Combine(root, "log/access.log");
        Assert.Contains($"path: {accessLog}", File.ReadAllText(Path.Combine(root, "etc/kubegate/lds.yaml")), StringComparison.Ordinal);
        await File.WriteAllTextAsync(accessLog, "one access-log line\n");
        var fakeBin = Directory.CreateDirectory(Path.Combine(root, "fake-bin")).FullName;
        var systemctlCalls = Path.Combine(root, "systemctl.calls");
        File.WriteAllText(Path.Combine(fakeBin, "systemctl"), $"#!/bin/sh\necho \"$*\" >> '{systemctlCalls}'\n");
        File.SetUnixFileMode(Path.Combine(fakeBin, "systemctl"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var rotate = await ToolRun.RunAsync(
            "logrotate", root, ["--force", "--state", Path.Combine(root, "logrotate.state"), Path.Combine(root, "logrotate.d/kubegate")],
            Make.DefaultTimeout, new Dictionary<string, string> { ["PATH"] = fakeBin + ":" + Environment.GetEnvironmentVariable("PATH") });
        Assert.True(rotate.ExitCode == 0, rotate.ToString());
        Assert.False(File.Exists(accessLog));
        Assert.Equal("kill --signal=USR1 --kill-who=main kubegate.service\n", await File.ReadAllTextAsync(systemctlCalls));
        Assert.Equal("one access-log line\n", await File.ReadAllTextAsync(accessLog + ".1"));
    }

    [Fact]
    public async Task Install_ExistingEnvoyYaml_LeavesTheWholeConfigurationAlone()
    {
        var conf = Path.Combine(DestDir, "etc/kubegate");
        Directory.CreateDirectory(conf);
        await File.WriteAllTextAsync(Path.Combine(conf, "envoy.yaml"), "# the operator's own bootstrap\n");

        var install = await MakeAsync(KubegateProcess.RepositoryRoot, "install");

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(["envoy.yaml"], FilesUnder(conf));
        Assert.Equal("# the operator's own bootstrap\n", await File.ReadAllTextAsync(Path.Combine(conf, "envoy.yaml")));
        Assert.Contains("configuration left as it is", install.StandardOutput, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(DestDir, "usr/local/bin/kubegate")));

        var uninstall = await MakeAsync(KubegateProcess.RepositoryRoot, "uninstall");

        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        Assert.Equal(["etc/kubegate/envoy.yaml"], FilesUnder(DestDir));
    }

    [Fact]
    public async Task Install_SomeConfigFilesExist_KeepsThemAndUninstallDoesNotRemoveThem()
    {
        var conf = Path.Combine(DestDir, "etc/kubegate");
        Directory.CreateDirectory(Path.Combine(conf, "pki"));
        var ca = Path.Combine(conf, "pki/cluster1-ca.crt");
        await File.WriteAllTextAsync(ca, "the cluster's real CA\n");

        var install = await MakeAsync(KubegateProcess.RepositoryRoot, "install");

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal("the cluster's real CA\n", await File.ReadAllTextAsync(ca));
        Assert.Equal(ConfigFiles.Append(ManifestName).Order(StringComparer.Ordinal), FilesUnder(conf));
        Assert.DoesNotContain("cluster1-ca.crt", await File.ReadAllTextAsync(Path.Combine(conf, ManifestName)), StringComparison.Ordinal);

        var uninstall = await MakeAsync(KubegateProcess.RepositoryRoot, "uninstall");

        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        Assert.Equal(["etc/kubegate/pki/cluster1-ca.crt"], FilesUnder(DestDir));
        Assert.Equal("the cluster's real CA\n", await File.ReadAllTextAsync(ca));
    }

    [Fact]
    public async Task Uninstall_AfterInstall_LeavesTheTreeAsItWas()
    {
        Directory.CreateDirectory(Path.Combine(DestDir, "etc/logrotate.d"));
        await File.WriteAllTextAsync(Path.Combine(DestDir, "etc/logrotate.d/other"), "someone else's\n");
        var before = FilesUnder(DestDir);

        var install = await MakeAsync(KubegateProcess.RepositoryRoot, "install");
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.True(FilesUnder(DestDir).Count > before.Count);

        var uninstall = await MakeAsync(KubegateProcess.RepositoryRoot, "uninstall");

        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        Assert.Equal(before, FilesUnder(DestDir));
        Assert.False(Directory.Exists(Path.Combine(DestDir, "etc/kubegate")));
    }

    [Fact]
    public async Task Uninstall_EditedConfigFile_IsKeptAndPurgeRemovesIt()
    {
        var install = await MakeAsync(KubegateProcess.RepositoryRoot, "install");
        Assert.True(install.ExitCode == 0, install.ToString());
        var eds = Path.Combine(DestDir, "etc/kubegate/eds_cluster1.yaml");
        await File.AppendAllTextAsync(eds, "# edited by the operator\n");
        var edited = await File.ReadAllTextAsync(eds);

        var uninstall = await MakeAsync(KubegateProcess.RepositoryRoot, "uninstall");

        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        Assert.Equal(["etc/kubegate/eds_cluster1.yaml"], FilesUnder(DestDir));
        Assert.Equal(edited, await File.ReadAllTextAsync(eds));
        Assert.Contains("kept /etc/kubegate/eds_cluster1.yaml (changed since install", uninstall.StandardOutput, StringComparison.Ordinal);

        // Installing again does not overwrite the kept file; purge then removes it with the rest.
        var reinstall = await MakeAsync(KubegateProcess.RepositoryRoot, "install");
        Assert.True(reinstall.ExitCode == 0, reinstall.ToString());
        Assert.Equal(edited, await File.ReadAllTextAsync(eds));
        Directory.CreateDirectory(Path.Combine(DestDir, "var/log/kubegate"));
        await File.WriteAllTextAsync(Path.Combine(DestDir, "var/log/kubegate/access.log"), "a line\n");

        var purge = await MakeAsync(KubegateProcess.RepositoryRoot, "purge");

        Assert.True(purge.ExitCode == 0, purge.ToString());
        Assert.Empty(FilesUnder(DestDir));
        Assert.False(Directory.Exists(Path.Combine(DestDir, "etc/kubegate")));
        Assert.False(Directory.Exists(Path.Combine(DestDir, "var/log/kubegate")));
    }

    [Fact]
    public async Task Install_WithoutLogrotateDirectory_SkipsTheSnippet()
    {
        var install = await MakeAsync(KubegateProcess.RepositoryRoot, "install");

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.False(Directory.Exists(Path.Combine(DestDir, "etc/logrotate.d")));
        Assert.Contains("logrotate snippet not installed", install.StandardOutput, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(DestDir, "etc/systemd/system/kubegate.service")));
    }

    [Fact]
    public async Task Install_FrameworkDependentBuild_IsRefusedBeforeWritingAnything()
    {
        // The launcher of a framework-dependent build cannot start without kubegate.dll next to it.
        var install = await Make.RunAsync(
            KubegateProcess.RepositoryRoot, "install", $"DESTDIR={DestDir}", $"KUBEGATE={KubegateProcess.ExecutablePath}");

        Assert.NotEqual(0, install.ExitCode);
        Assert.Contains("run `make publish`", install.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DestDir));
    }

    private Task<ToolRun> MakeAsync(string directory, string target) =>
        Make.RunAsync(directory, target, $"DESTDIR={DestDir}", $"KUBEGATE={KubegateProcess.ExecutablePath}", "CHECK_BINARY=0");

    private static List<string> FilesUnder(string directory) =>
        !Directory.Exists(directory)
            ? []
            : [.. Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(directory, f))
                .Order(StringComparer.Ordinal)];

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
