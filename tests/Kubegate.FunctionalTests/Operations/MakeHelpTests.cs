using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.FunctionalTests.Operations;

/// <summary>`make help` from the repository root and from examples/k8s-api-proxy/, and the thin Makefile's forwarding.</summary>
public class MakeHelpTests
{
    /// <summary>The seed's targets (same names, same meaning) and the ones the operations issue adds.</summary>
    public static readonly TheoryData<string> RequiredTargets = new(
        "run", "run-envoy", "install-service", "start-service", "stop-service", "restart-service", "status-service",
        "logs-service", "uninstall-service", "help", "validate", "reload", "bench", "soak", "publish", "install", "uninstall");

    [Fact]
    public async Task Help_FromRoot_ListsEveryTargetOfTheMakefileWithADescription()
    {
        var help = await Make.RunAsync(KubegateProcess.RepositoryRoot, "help");

        Assert.True(help.ExitCode == 0, help.ToString());
        AssertListsEveryTarget(help.StandardOutput, Make.TargetsDefinedIn(Make.RootMakefile));
    }

    [Fact]
    public async Task Help_FromExampleFolder_ListsEveryTargetOfBothMakefilesWithADescription()
    {
        var help = await Make.RunAsync(Make.ExampleDirectory, "help");

        Assert.True(help.ExitCode == 0, help.ToString());
        var exampleTargets = Make.TargetsDefinedIn(Path.Combine(Make.ExampleDirectory, "Makefile"));
        Assert.Contains("help", exampleTargets);
        AssertListsEveryTarget(help.StandardOutput, [.. Make.TargetsDefinedIn(Make.RootMakefile), .. exampleTargets]);
        Assert.Contains("CONFIG=" + Path.Combine(Make.ExampleDirectory, "envoy.yaml"), help.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_IsTheDefaultTarget()
    {
        var bare = await Make.RunAsync(KubegateProcess.RepositoryRoot);
        var help = await Make.RunAsync(KubegateProcess.RepositoryRoot, "help");

        Assert.Equal(0, bare.ExitCode);
        Assert.Equal(help.StandardOutput, bare.StandardOutput);
    }

    [Theory]
    [MemberData(nameof(RequiredTargets))]
    public void Makefile_DefinesTheTarget(string target) =>
        Assert.Contains(target, Make.TargetsDefinedIn(Make.RootMakefile));

    [Fact]
    public async Task Validate_FromExampleFolder_ChecksTheEnvoyYamlThereFromTheRoot()
    {
        // -n prints the commands without running them (the build is not needed to see where validate looks).
        var dryRun = await Make.RunAsync(Make.ExampleDirectory, "-n", "validate");

        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        var config = Path.Combine(Make.ExampleDirectory, "envoy.yaml");
        var command = Assert.Single(dryRun.StandardOutput.Split('\n'), l => l.Contains("--mode validate", StringComparison.Ordinal));
        Assert.StartsWith($"cd {KubegateProcess.RepositoryRoot} && ", command, StringComparison.Ordinal);
        Assert.EndsWith($"--mode validate -c {config}", command.TrimEnd(), StringComparison.Ordinal);

        // The forwarded command works: the absolute -c path and the repository-relative paths inside it, from the root.
        await using var validate = await KubegateProcess.RunAsync(KubegateProcess.RepositoryRoot, "--mode", "validate", "-c", config);
        Assert.Equal(0, validate.ExitCode);
        Assert.Equal($"configuration '{config}' OK", validate.StandardOutput.Trim());
    }

    [Theory]
    [InlineData("start-service", "systemctl start kubegate.service")]
    [InlineData("stop-service", "systemctl stop kubegate.service")]
    [InlineData("restart-service", "systemctl restart kubegate.service")]
    [InlineData("reload", "systemctl reload kubegate.service")]
    [InlineData("status-service", "systemctl status --no-pager --full kubegate.service")]
    [InlineData("logs-service", "journalctl --unit kubegate.service --lines 100 --no-pager")]
    [InlineData("install-service", "bash scripts/install.sh service-install")]
    [InlineData("uninstall-service", "bash scripts/install.sh service-uninstall")]
    public async Task ServiceTarget_FromRootAndExampleFolder_RunsTheSystemdCommand(string target, string command)
    {
        // -n prints the commands without running them: this machine need not run systemd. SUDO= as when root.
        foreach (var directory in new[] { KubegateProcess.RepositoryRoot, Make.ExampleDirectory })
        {
            var dryRun = await Make.RunAsync(directory, "-n", target, "SUDO=");

            Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
            Assert.Contains(command, dryRun.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task LogsService_Piped_PrintsTheLinesAndEnds_OnATerminal_Follows()
    {
        // A stand-in journalctl that prints its arguments: this machine need not run systemd.
        var directory = Directory.CreateTempSubdirectory("kubegate-logs-");
        try
        {
            var journalctl = Path.Combine(directory.FullName, "journalctl");
            await File.WriteAllTextAsync(journalctl, "#!/bin/sh\necho \"journalctl $*\"\n");
            File.SetUnixFileMode(journalctl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var piped = await Make.RunAsync(KubegateProcess.RepositoryRoot, "logs-service", "SUDO=", "JOURNALCTL=" + journalctl);
            Assert.True(piped.ExitCode == 0, piped.ToString());
            Assert.Contains("journalctl --unit kubegate.service --lines 100 --no-pager\n", piped.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain("--follow", piped.StandardOutput, StringComparison.Ordinal);

            // script(1) gives make a terminal as stdout, as when an operator types the command.
            var terminal = await ToolRun.RunAsync(
                "script", KubegateProcess.RepositoryRoot,
                ["-qec", $"make --no-print-directory logs-service SUDO= JOURNALCTL={journalctl}", "/dev/null"],
                Make.DefaultTimeout);
            Assert.True(terminal.ExitCode == 0, terminal.ToString());
            Assert.Contains("journalctl --unit kubegate.service --lines 100 --no-pager --follow", terminal.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Bench_PublishesFirstThenRunsTheLoadScript()
    {
        var dryRun = await Make.RunAsync(KubegateProcess.RepositoryRoot, "-n", "bench");

        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        var lines = dryRun.StandardOutput.Split('\n');
        var publish = Array.FindIndex(lines, l => l.Contains("-p:PublishAot=true", StringComparison.Ordinal));
        var bench = Array.FindIndex(lines, l => l.Contains("bash bench/run.sh", StringComparison.Ordinal));
        Assert.True(publish >= 0 && bench > publish, dryRun.StandardOutput);
    }

    private static void AssertListsEveryTarget(string help, IEnumerable<string> targets)
    {
        var described = help.Split('\n')
            .Select(l => l.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length == 2)
            .GroupBy(parts => parts[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First()[1].Trim(), StringComparer.Ordinal);

        Assert.NotEmpty(targets);
        foreach (var target in targets)
        {
            Assert.True(described.TryGetValue(target, out var description), $"`make help` does not list '{target}':\n{help}");
            Assert.True(description.Length >= 10, $"'{target}' has no real description: '{description}'");
            Assert.DoesNotContain("$(", description, StringComparison.Ordinal);
        }
    }
}
