using Kubegate.Proxy.Reactors;

namespace Kubegate.Tests.Proxy.Reactors;

public class DescriptorBudgetTests
{
    [Fact]
    public void HasRoomForConnection_UpToTheReserve_ThenNot()
    {
        long dataPath = 0;
        var budget = new DescriptorBudget(() => dataPath, limit: 1000, countOpen: () => 100 + dataPath);

        // 1000 - 100 others - 64 reserve = 836 descriptors for connections: 418 connections of two.
        dataPath = 834;
        Assert.True(budget.HasRoomForConnection);
        dataPath = 836;
        Assert.False(budget.HasRoomForConnection);
    }

    [Fact]
    public void HasRoomForConnection_OthersGrewSinceCounted_CountedAgainNearTheLimit()
    {
        long dataPath = 0;
        long others = 100;
        var budget = new DescriptorBudget(() => dataPath, limit: 1000, countOpen: () => others + dataPath);
        Assert.True(budget.HasRoomForConnection);
        others = 300;

        // Counted at the first call; far from the limit that count stands, near it the others are counted again.
        dataPath = 500;
        Assert.True(budget.HasRoomForConnection);
        Assert.Equal(100, budget.Others);
        dataPath = 800;
        Assert.False(budget.HasRoomForConnection);
        Assert.Equal(300, budget.Others);
    }

    [Fact]
    public void HasRoomForConnection_NoLimit_Always()
    {
        var budget = new DescriptorBudget(() => long.MaxValue / 2, limit: long.MaxValue, countOpen: () => 10);

        Assert.True(budget.HasRoomForConnection);
    }
}
