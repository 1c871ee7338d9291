namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// A clock on which every one-shot timer has already expired when it is created: its callback runs inside
/// <see cref="CreateTimer"/>. Models a thread descheduled for longer than a timeout between arming it and starting
/// the guarded operation. Periodic timers (the connection heartbeat) run on the system clock.
/// </summary>
internal sealed class ExpiredOneShotTimeProvider : TimeProvider
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (period != Timeout.InfiniteTimeSpan)
        {
            return System.CreateTimer(callback, state, dueTime, period);
        }

        callback(state);
        return new FiredTimer();
    }

    private sealed class FiredTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
