using Kubegate.Hosting;
using Kubegate.Proxy;

namespace Kubegate.Tests.Proxy;

public class DrainScheduleTests
{
    [Fact]
    public void Create_Gradual_PointsSpreadEvenlyOverTheWindow()
    {
        var schedule = DrainSchedule.Create(DrainStrategy.Gradual, startMs: 1_000, TimeSpan.FromSeconds(10), [1, 2, 3, 4]);

        var points = new long[] { 1, 2, 3, 4 }.Select(schedule.DrainPoint).Order().ToArray();

        // i of n at (i + 1) / (n + 1) of the window: none at the very start, none at the deadline.
        Assert.Equal([3_000, 5_000, 7_000, 9_000], points);
        Assert.Equal(11_000, schedule.DeadlineMs);
    }

    [Fact]
    public void Create_Gradual_ShuffledNotOldestFirstAndTheSameEveryTime()
    {
        var ids = Enumerable.Range(1, 20).Select(i => (long)i).ToArray();

        var first = DrainSchedule.Create(DrainStrategy.Gradual, 0, TimeSpan.FromSeconds(60), ids);
        var again = DrainSchedule.Create(DrainStrategy.Gradual, 0, TimeSpan.FromSeconds(60), ids.Reverse());
        var order = ids.OrderBy(first.DrainPoint).ToArray();

        Assert.NotEqual(ids, order);
        Assert.NotEqual(ids.Reverse(), order);
        Assert.Equal(order, ids.OrderBy(again.DrainPoint));
        Assert.Equal(ids.Length, ids.Select(first.DrainPoint).Distinct().Count());
    }

    [Fact]
    public void IsDue_Gradual_ShareDueRisesWithTime()
    {
        var ids = Enumerable.Range(1, 9).Select(i => (long)i).ToArray();
        var schedule = DrainSchedule.Create(DrainStrategy.Gradual, 0, TimeSpan.FromSeconds(10), ids);

        var dueBySecond = Enumerable.Range(0, 11).Select(s => ids.Count(id => schedule.IsDue(id, s * 1_000L))).ToArray();

        // Nine over 10 s: one more every second from 1 s on, all nine by 9 s.
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9], dueBySecond);
    }

    [Fact]
    public void IsDue_Immediate_EveryConnectionDueAtTheStart()
    {
        var schedule = DrainSchedule.Create(DrainStrategy.Immediate, 500, TimeSpan.FromSeconds(600), [1, 2, 3]);

        Assert.All(new long[] { 1, 2, 3, 99 }, id => Assert.True(schedule.IsDue(id, 500)));
        Assert.False(schedule.IsDue(1, 499));
    }

    [Fact]
    public void DrainPoint_ConnectionNotInThePlan_DueAtOnce()
    {
        var schedule = DrainSchedule.Create(DrainStrategy.Gradual, 100, TimeSpan.FromSeconds(10), [1]);

        Assert.Equal(100, schedule.DrainPoint(2));
    }

    [Fact]
    public void Create_HugeWindow_NoOverflow()
    {
        var schedule = DrainSchedule.Create(DrainStrategy.Gradual, 100, TimeSpan.MaxValue, [1, 2]);

        Assert.True(schedule.DeadlineMs > schedule.DrainPoint(1));
        Assert.True(schedule.DrainPoint(1) > 100 && schedule.DrainPoint(2) > 100);
    }
}
