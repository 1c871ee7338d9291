using System.Text.RegularExpressions;
using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.FunctionalTests.Operations;

/// <summary>GNU make on the repository's Makefiles, as an operator types it.</summary>
internal static partial class Make
{
    /// <summary>Install and help runs are shell scripts and copies; a minute is far above what they take.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static string RootMakefile => Path.Combine(KubegateProcess.RepositoryRoot, "Makefile");

    public static string ExampleDirectory => Path.Combine(KubegateProcess.RepositoryRoot, "examples", "k8s-api-proxy");

    public static Task<ToolRun> RunAsync(string directory, params string[] args) =>
        ToolRun.RunAsync("make", directory, ["--no-print-directory", .. args], DefaultTimeout);

    /// <summary>
    /// The explicit targets a Makefile defines (<c>name:</c> at the start of a line): not variables (<c>:=</c>),
    /// special targets (<c>.PHONY</c>), pattern rules or the rule that keeps make from remaking the Makefile.
    /// </summary>
    public static IReadOnlyList<string> TargetsDefinedIn(string makefile) =>
        [.. File.ReadLines(makefile)
            .Select(line => TargetLine().Match(line))
            .Where(match => match.Success)
            .SelectMany(match => match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(target => target != "Makefile")
            .Distinct(StringComparer.Ordinal)];

    [GeneratedRegex(@"^([A-Za-z0-9_-][A-Za-z0-9_ -]*?)\s*:(?![:=])")]
    private static partial Regex TargetLine();
}
