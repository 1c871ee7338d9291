using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kubegate.Proxy.Reactors;
using Kubegate.Stats;
using Kubegate.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.Proxy.Reactors;

/// <summary>The reactor on io_uring where the kernel allows it (<see cref="EventInterface.Auto"/>).</summary>
public sealed class AutoReactorTests() : ReactorTests(EventInterface.Auto)
{
    [Fact]
    public void Auto_UsesIoUringExactlyWhenTheKernelAllowsIt()
    {
        using var probe = UringPort.TryCreate(out var refusal);

        Assert.Equal(probe is null ? "epoll" : "io_uring", Reactor.EventInterfaceName);
        Assert.Equal(refusal, Reactor.IoUringRefusal);
    }
}

/// <summary>The same behaviour on epoll, the fallback where io_uring is refused.</summary>
public sealed class EpollReactorTests() : ReactorTests(EventInterface.Epoll)
{
    [Fact]
    public void Epoll_WhenAskedFor_IsUsed()
    {
        Assert.Equal("epoll", Reactor.EventInterfaceName);
        Assert.Null(Reactor.IoUringRefusal);
    }
}

public abstract class ReactorTests : IDisposable
{
    private readonly StatsStore _stats = new();
    private readonly Reactor _reactor;

    internal ReactorTests(EventInterface eventInterface)
    {
        _reactor = new Reactor(0, () => Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000), NullLogger.Instance, _stats.Counter("server.reactor_errors"), eventInterface);
        _reactor.Start();
    }

    internal Reactor Reactor => _reactor;

    public void Dispose() => _reactor.Dispose();

    [Fact]
    public async Task Register_EdgeTriggered_EachArrivalReportedAsReadable()
    {
        var (mine, peer) = await ConnectedPairAsync();
        using var _ = peer;
        var watcher = new Watcher(_reactor, mine, Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP | Native.EPOLLET);
        _reactor.Post(watcher);
        await watcher.Registered.Task.DefaultTimeout();

        // Edge-triggered: the handler drains what came, and the next arrival is a new report.
        for (var i = 0; i < 3; i++)
        {
            await peer.SendAsync(new byte[] { (byte)i });
            Assert.Equal(i, await watcher.Received.Reader.ReadAsync().AsTask().DefaultTimeout());
        }

        _reactor.Post(new CloseWork(watcher));
        Assert.Equal(0, await peer.ReceiveAsync(new byte[1]).DefaultTimeout());
    }

    [Fact]
    public async Task Close_InTheTurnThatRegistered_PeerSeesTheEndAtOnce()
    {
        // A socket registered and closed in one turn (a connection refused right after accept): with io_uring its
        // poll must be cancelled before the close, or the poll's own reference would keep the socket open.
        var (mine, peer) = await ConnectedPairAsync();
        using var _ = peer;
        var watcher = new Watcher(_reactor, mine, Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP | Native.EPOLLET, closeAtOnce: true);
        _reactor.Post(watcher);

        Assert.Equal(0, await peer.ReceiveAsync(new byte[1]).DefaultTimeout());
    }

    [Fact]
    public async Task Register_LevelTriggered_ReportedAgainWhileReadyAndUnregisterLetsTheSocketGo()
    {
        var listener = Native.CreateStreamSocket(AddressFamily.InterNetwork);
        using var listen = new Socket(new SafeSocketHandle(listener, ownsHandle: true));
        listen.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listen.Listen();
        var endPoint = (IPEndPoint)listen.LocalEndPoint!;
        using var pending = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await pending.ConnectAsync(endPoint).DefaultTimeout();

        // Never accepted, so still ready: a level-triggered registration is reported turn after turn.
        var watcher = new Watcher(_reactor, listener, Native.EPOLLIN, reportsBeforeUnregister: 3);
        _reactor.Post(watcher);
        await watcher.Unregistered.Task.DefaultTimeout();
        Assert.Equal(3, watcher.Reports);

        // Once unregistered and closed, nothing holds the listening socket: a new connect is refused.
        listen.Close();
        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(endPoint).DefaultTimeout());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

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

    private static async Task<(int Fd, Socket Peer)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var fd = Native.CreateStreamSocket(AddressFamily.InterNetwork);
        var errno = Native.Connect(fd, SocketAddressBuffer.From((IPEndPoint)listener.LocalEndPoint!));
        Assert.True(errno is 0 or Native.EINPROGRESS, $"connect: errno {errno}");
        var peer = await listener.AcceptAsync().DefaultTimeout();
        return (fd, peer);
    }

    /// <summary>Registers a descriptor on the reactor and tells what it reports; closes or unregisters when asked.</summary>
    private sealed class Watcher(Reactor reactor, int fd, uint events, bool closeAtOnce = false, int reportsBeforeUnregister = 0) : IReactorWork, IReactorHandler
    {
        private ulong _token;

        public TaskCompletionSource Registered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Unregistered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public System.Threading.Channels.Channel<int> Received { get; } = System.Threading.Channels.Channel.CreateUnbounded<int>();

        public int Reports { get; private set; }

        public void Execute()
        {
            _token = reactor.Register(this, fd, 0, events, out var errno);
            Assert.NotEqual(0ul, _token);
            if (closeAtOnce)
            {
                Close();
            }

            Registered.TrySetResult();
        }

        public void Close()
        {
            reactor.Close(_token, fd);
            _token = 0;
        }

        public void OnEvents(int side, uint events)
        {
            if (reportsBeforeUnregister > 0)
            {
                if (++Reports == reportsBeforeUnregister)
                {
                    reactor.Unregister(_token, fd);
                    Unregistered.TrySetResult();
                }

                return;
            }

            var buffer = new byte[16];
            while (_token != 0 && (events & Native.EPOLLIN) != 0)
            {
                var read = Native.Receive(fd, buffer);
                if (read <= 0)
                {
                    return;
                }

                for (var i = 0; i < read; i++)
                {
                    Received.Writer.TryWrite(buffer[i]);
                }
            }
        }

        public void OnFailed(Exception exception) => Registered.TrySetException(exception);
    }

    private sealed class CloseWork(Watcher watcher) : IReactorWork
    {
        public void Execute() => watcher.Close();
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
