using Kubegate.Stats;

namespace Kubegate.Tests.Configuration.Watching;

/// <summary>The stats of a file subscription (in Stats/, tested here beside the reload loop that is their only user).</summary>
public class SubscriptionStatsTests
{
    [Theory]
    [InlineData("", 17241709254077376921UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0x44BC2CF5AD770999UL)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789", 0xA76190C3ACF08A1CUL)]
    public void XxHash64_KnownVectors(string text, ulong expected) => Assert.Equal(expected, unchecked((ulong)SubscriptionStats.VersionHash(text)));

    [Fact]
    public void Accepted_Version_SetsSuccessTimeVersionAndText()
    {
        var store = new StatsStore();
        var stats = new SubscriptionStats(store, "cluster.c1.", endpoints: true);

        stats.Accepted("7", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(1, store.GetValue("cluster.c1.update_success"));
        Assert.Equal(1767225600000, store.GetValue("cluster.c1.update_time"));
        Assert.Equal(SubscriptionStats.VersionHash("7"), store.GetValue("cluster.c1.version"));
        Assert.Equal("7", store.TryGetText("cluster.c1.version_text"));
        Assert.Equal(["cluster.c1.version_text"], store.TextReadouts.Select(t => t.Name));
        Assert.NotNull(store.TryGetValue("cluster.c1.update_empty"));
    }

    [Fact]
    public void Constructor_NotEndpoints_NoUpdateEmpty()
    {
        var store = new StatsStore();

        _ = new SubscriptionStats(store, "listener_manager.lds.", endpoints: false);

        Assert.Null(store.TryGetValue("listener_manager.lds.update_empty"));
        Assert.Equal(0, store.GetValue("listener_manager.lds.update_attempt"));
        Assert.NotNull(store.TryGetValue("listener_manager.lds.update_attempt"));
    }
}
