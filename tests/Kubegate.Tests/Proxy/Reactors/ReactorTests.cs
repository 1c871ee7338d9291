using System.Diagnostics;
using Kubegate.Proxy.Reactors;
using Kubegate.Stats;
using Kubegate.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.Proxy.Reactors;

public sealed class ReactorTests : IDisposable
{
    private readonly StatsStore _stats = new();
    private readonly Reactor _reactor;

    public ReactorTests()
    {
        _reactor = new Reactor(0, () => Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000), NullLogger.Instance, _stats.Counter("server.reactor_errors"));
        _reactor.Start();
    }

    public void Dispose() => _reactor.Dispose();

    [Fact]
    public async Task Post_FromAnotherThread_RunsOnTheReactorThread()
    {
        var work = new Work(_reactor);
        _reactor.Post(work);

        Assert.True(await work.Ran.Task.DefaultTimeout());
    }

    [Fact]
    public async Task Post_HandlerThrows_LoggedCountedHandlerToldAndTheLoopGoesOn()
    {
        var failing = new Work(_reactor, fail: true);
        _reactor.Post(failing);

        var failure = await failing.Failed.Task.DefaultTimeout();
        Assert.Equal("boom", failure.Message);
        Assert.Equal(1, _stats.GetValue("server.reactor_errors"));

        var next = new Work(_reactor);
        _reactor.Post(next);
        Assert.True(await next.Ran.Task.DefaultTimeout());
    }

    [Fact]
    public async Task Timers_ScheduledOnTheReactor_FireInDeadlineOrder()
    {
        var fired = new List<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timers = new[] { 30, 10, 20 }.Select(delay => new OrderTimer(delay, fired, done, expected: 3)).ToArray();
        _reactor.Post(new ScheduleWork(_reactor, timers));

        await done.Task.DefaultTimeout();
        Assert.Equal([10, 20, 30], fired);
    }

    [Fact]
    public async Task Ping_AnsweredByARunningReactor()
    {
        _reactor.Ping(now: 1);

        // Answered on the reactor thread: poll until it is, for at most the default timeout.
        var waited = Stopwatch.StartNew();
        while (_reactor.OldestUnansweredPing != long.MaxValue)
        {
            Assert.True(waited.Elapsed < Kubegate.Testing.TaskExtensions.DefaultTimeoutValue, "the ping was never answered");
            await Task.Delay(5);
        }
    }

    private sealed class Work(Reactor reactor, bool fail = false) : IReactorWork, IReactorHandler
    {
        public TaskCompletionSource<bool> Ran { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<Exception> Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Execute()
        {
            if (fail)
            {
                throw new InvalidOperationException("boom");
            }

            Ran.TrySetResult(reactor.IsOnReactorThread);
        }

        public void OnEvents(int side, uint events)
        {
        }

        public void OnFailed(Exception exception) => Failed.TrySetResult(exception);
    }

    private sealed class ScheduleWork(Reactor reactor, OrderTimer[] timers) : IReactorWork
    {
        public void Execute()
        {
            foreach (var timer in timers)
            {
                reactor.Timers.Schedule(timer, reactor.Now + timer.Delay);
            }
        }
    }

    private sealed class OrderTimer(int delay, List<int> fired, TaskCompletionSource done, int expected) : ReactorTimer
    {
        public int Delay => delay;

        public override void OnTimer(long now)
        {
            fired.Add(delay);
            if (fired.Count == expected)
            {
                done.TrySetResult();
            }
        }
    }
}
