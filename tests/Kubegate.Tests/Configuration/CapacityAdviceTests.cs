using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration;

public class CapacityAdviceTests
{
    [Fact]
    public void For_ClusterWithoutMaxConnections_OneWarningAtTheClusterWithTheFix()
    {
        using var files = new ConfigFiles().WriteDefaults();

        var result = files.Load();
        var advice = Assert.Single(CapacityAdvice.For(result.Snapshot!));

        // Envoy's meaning is kept: the cap applies, and the loader itself reports nothing.
        ProblemAssert.Clean(result);
        Assert.Equal(ClusterConfig.DefaultMaxConnections, result.Snapshot!.Clusters.Single().MaxConnections);
        Assert.Equal(ConfigErrorSeverity.Warning, advice.Severity);
        Assert.EndsWith("cds.yaml", advice.File, StringComparison.Ordinal);
        Assert.Equal(result.Snapshot.Clusters.Single().Location.Line, advice.Line);
        Assert.True(advice.Line > 0);
        Assert.Equal("circuit_breakers", advice.Path);
        Assert.Contains("cluster c1 sets no max_connections", advice.Message, StringComparison.Ordinal);
        Assert.StartsWith("write circuit_breakers: {thresholds: [{max_connections:", advice.Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("circuit_breakers: {thresholds: [{max_connections: 65536}]}")]
    [InlineData("circuit_breakers: {thresholds: [{priority: DEFAULT, max_connections: 1024}]}")]
    public void For_MaxConnectionsWritten_NoAdvice(string breakers)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster(breakers);

        Assert.Empty(CapacityAdvice.For(files.Load().Snapshot!));
    }

    [Fact]
    public void For_OnlyHighPriorityWritten_DefaultStillApplies()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.WriteCluster("circuit_breakers: {thresholds: [{priority: HIGH, max_connections: 100000}]}");

        Assert.Single(CapacityAdvice.For(files.Load().Snapshot!));
    }
}
