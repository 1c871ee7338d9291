using Kubegate.Configuration;
using Kubegate.Proxy.Filters;
using Kubegate.Stats;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.Proxy.Filters;

public class LocalRateLimitFilterTests
{
    [Fact]
    public void OnNewConnection_BucketStartsFullAndRefillsPerWholeInterval()
    {
        var stats = new StatsStore();
        var filter = new LocalRateLimitFilter(new LocalRateLimitConfig { StatPrefix = "r", MaxTokens = 3, TokensPerFill = 2, FillInterval = TimeSpan.FromSeconds(1) }, stats, NullLogger.Instance);

        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(_ => filter.OnNewConnection(At(0)).Admitted));
        Assert.False(filter.OnNewConnection(At(999)).Admitted);
        Assert.Equal([true, true, false], Enumerable.Range(0, 3).Select(_ => filter.OnNewConnection(At(1000)).Admitted));

        // Ten intervals later the bucket is full again, never above max_tokens.
        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(_ => filter.OnNewConnection(At(11_000)).Admitted));
        Assert.Equal(4, stats.GetValue("local_ratelimit.r.rate_limited"));
        Assert.Equal("local_ratelimit_exceeded", filter.OnNewConnection(At(11_000)).TerminationDetails);
    }

    private static ConnectionFacts At(long now) => new(null, null, now);
}
