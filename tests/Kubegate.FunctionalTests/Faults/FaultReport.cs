using Kubegate.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// A fault test's measured figures: written to the test output and, for a report, as one markdown table row to
/// <c>out/faults/&lt;test&gt;.md</c> (git-ignored), columns
/// <c>| fault | time until no new connections | failed client requests | bytes corrupted or truncated on streams to the healthy host | leaked after the fault |</c>.
/// </summary>
internal static class FaultReport
{
    public static void Write(ITestOutputHelper output, string test, string fault, string detection, string requests, string streams, string leaks)
    {
        var row = $"| {fault} | {detection} | {requests} | {streams} | {leaks} |";
        output.WriteLine("fault report: " + row);
        var directory = Path.Combine(KubegateProcess.RepositoryRoot, "out", "faults");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, test + ".md"), row + "\n");
    }
}
