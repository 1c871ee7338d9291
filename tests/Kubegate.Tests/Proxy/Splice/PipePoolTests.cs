using Kubegate.Proxy.Splice;

namespace Kubegate.Tests.Proxy.Splice;

public class PipePoolTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("1", true)]
    [InlineData("on", true)]
    [InlineData("0", false)]
    [InlineData(" off ", false)]
    [InlineData("FALSE", false)]
    [InlineData("no", false)]
    public void IsEnabledByEnvironment_Value_OnUnlessSwitchedOff(string? value, bool expected) =>
        Assert.Equal(expected, PipePool.IsEnabledByEnvironment(value));

    [Fact]
    public void Rent_Disabled_ReturnsNullAndMakesNoPipe()
    {
        var pool = new PipePool(enabled: false);

        Assert.False(pool.IsEnabled);
        Assert.Null(pool.Rent());
        Assert.Equal(0, pool.Created);
        Assert.Equal(0, pool.TotalRented);
    }

    [LinuxFact]
    public void Return_MoreThanMaxPooled_KeepsOnlyTheBoundAndReusesThem()
    {
        var pool = new PipePool(maxPooled: 2);
        var rented = Enumerable.Range(0, 5).Select(_ => pool.Rent()!).ToArray();

        Assert.All(rented, Assert.NotNull);
        Assert.Equal(5, pool.Rented);
        Assert.Equal(5, pool.Created);
        Assert.All(rented, p => Assert.True(p.Capacity >= 4096, $"capacity {p.Capacity}"));
        foreach (var pipe in rented)
        {
            pool.Return(pipe);
        }

        Assert.Equal(0, pool.Rented);
        Assert.Equal(2, pool.Pooled);

        // The two kept are handed out again (last in, first out) before a new pipe is made.
        var again = new[] { pool.Rent()!, pool.Rent()!, pool.Rent()! };
        Assert.Same(rented[1], again[0]);
        Assert.Same(rented[0], again[1]);
        Assert.Equal(6, pool.Created);
        Assert.Equal(8, pool.TotalRented);
        foreach (var pipe in again)
        {
            pool.Return(pipe);
        }
    }

    [LinuxFact]
    public void Return_Twice_CountedAsBadReturnAndPooledOnce()
    {
        var pool = new PipePool();
        var pipe = pool.Rent()!;

        pool.Return(pipe);
        pool.Return(pipe);

        Assert.Equal(1, pool.BadReturns);
        Assert.Equal(1, pool.Pooled);
        Assert.Equal(0, pool.Rented);
    }

    [LinuxFact]
    public void Return_PipeStillHoldingBytes_ClosedNotPooled()
    {
        var pool = new PipePool();
        var pipe = pool.Rent()!;
        pipe.Length = 10;

        pool.Return(pipe);

        Assert.Equal(0, pool.Pooled);
        Assert.Equal(0, pool.Rented);
        Assert.NotSame(pipe, pool.Rent());
    }

    [LinuxFact]
    public void Rent_PipeSizeAsked_KernelGrantsIt()
    {
        var pool = new PipePool(pipeSize: 256 * 1024);

        var pipe = pool.Rent()!;

        Assert.Equal(256 * 1024, pipe.Capacity);
        pool.Return(pipe);
    }
}
