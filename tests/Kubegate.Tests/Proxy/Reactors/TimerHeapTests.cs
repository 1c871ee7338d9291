using Kubegate.Proxy.Reactors;

namespace Kubegate.Tests.Proxy.Reactors;

public class TimerHeapTests
{
    [Fact]
    public void PopDue_ManyTimers_ComeOutInDeadlineOrderAndOnlyWhenDue()
    {
        var heap = new TimerHeap();
        var random = new Random(42);
        var timers = Enumerable.Range(0, 500).Select(_ => new RecordingTimer()).ToList();
        foreach (var timer in timers)
        {
            heap.Schedule(timer, random.Next(1, 10_000));
        }

        Assert.Null(heap.PopDue(0));
        var popped = new List<long>();
        while (heap.PopDue(10_000) is { } timer)
        {
            popped.Add(timer.Deadline);
            Assert.Equal(-1, timer.HeapIndex);
        }

        Assert.Equal(500, popped.Count);
        Assert.Equal(popped.Order(), popped);
        Assert.Equal(0, heap.Count);
    }

    [Fact]
    public void Schedule_AgainWithALaterOrEarlierDeadline_MovesTheTimerInsteadOfAddingIt()
    {
        var heap = new TimerHeap();
        var first = new RecordingTimer();
        var second = new RecordingTimer();
        heap.Schedule(first, 100);
        heap.Schedule(second, 200);

        heap.Schedule(first, 300);
        Assert.Equal(2, heap.Count);
        Assert.Equal(200, heap.NextDeadline);

        heap.Schedule(first, 50);
        Assert.Same(first, heap.PopDue(60));
        Assert.Null(heap.PopDue(60));
    }

    [Fact]
    public void Cancel_ScheduledAndUnscheduled_RemovesOnlyThatTimer()
    {
        var heap = new TimerHeap();
        var timers = Enumerable.Range(0, 10).Select(_ => new RecordingTimer()).ToList();
        for (var i = 0; i < timers.Count; i++)
        {
            heap.Schedule(timers[i], (i + 1) * 10);
        }

        heap.Cancel(timers[0]);
        heap.Cancel(timers[5]);
        heap.Cancel(timers[5]);
        heap.Cancel(new RecordingTimer());

        Assert.Equal(8, heap.Count);
        var popped = new List<ReactorTimer>();
        while (heap.PopDue(long.MaxValue) is { } timer)
        {
            popped.Add(timer);
        }

        Assert.Equal(timers.Where((_, i) => i is not 0 and not 5), popped);
        Assert.Equal(long.MaxValue, heap.NextDeadline);
    }

    private sealed class RecordingTimer : ReactorTimer
    {
        public override void OnTimer(long now)
        {
        }
    }
}
