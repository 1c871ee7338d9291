using System.Collections.Immutable;
using Kubegate.Configuration;
using Kubegate.Configuration.Watching;

namespace Kubegate.Tests.Configuration.Watching;

public class ReloadStatusBoardTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Record_RejectedThenAccepted_KeepsTheLatestPerFile()
    {
        var board = new ReloadStatusBoard();
        var error = new ConfigError("eds.yaml", 7, "resources[0].endpoints", "bad port", "use 1-65535");

        board.Record(new ReloadResult("eds (cluster c1)", "eds.yaml", ReloadOutcome.Rejected, "2", [error]), Now);
        var rejected = Assert.Single(board.Entries);
        Assert.Equal(ReloadOutcome.Rejected, rejected.Outcome);
        Assert.Equal("eds.yaml:7: resources[0].endpoints: bad port (use 1-65535)", rejected.Problem);
        Assert.Equal(1, rejected.ProblemCount);

        board.Record(new ReloadResult("eds (cluster c1)", "eds.yaml", ReloadOutcome.Accepted, "3", []), Now.AddSeconds(5));
        var accepted = Assert.Single(board.Entries);
        Assert.Equal(ReloadOutcome.Accepted, accepted.Outcome);
        Assert.Equal("3", accepted.VersionInfo);
        Assert.Null(accepted.Problem);
        Assert.Equal(Now.AddSeconds(5), accepted.At);
    }

    [Fact]
    public void Record_Unchanged_LeavesTheLastEntry()
    {
        var board = new ReloadStatusBoard();
        board.Record(new ReloadResult("lds", "lds.yaml", ReloadOutcome.Failed, null, [new ConfigError("lds.yaml", 3, string.Empty, "yaml syntax")]), Now);

        board.Record(new ReloadResult("lds", "lds.yaml", ReloadOutcome.Unchanged, null, ImmutableArray<ConfigError>.Empty), Now.AddSeconds(1));

        Assert.Equal(ReloadOutcome.Failed, Assert.Single(board.Entries).Outcome);
    }

    [Fact]
    public void Record_WarningsOnly_ShowsTheFirstWarning()
    {
        var board = new ReloadStatusBoard();
        var warning = new ConfigError("cds.yaml", 9, "resources[0].retry_policy", "unknown field", Severity: ConfigErrorSeverity.Warning);

        board.Record(new ReloadResult("cds", "cds.yaml", ReloadOutcome.Accepted, null, [warning]), Now);

        Assert.Contains("retry_policy", Assert.Single(board.Entries).Problem, StringComparison.Ordinal);
    }
}
