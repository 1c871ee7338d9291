using System.Collections.Concurrent;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy.Reactors;

/// <summary>
/// One event-loop thread with its own readiness source (io_uring or epoll, <see cref="IEventPort"/>): it accepts on
/// every listener, and both sockets of each connection it accepted, with the connection's timers, stay on it for the
/// connection's whole life. An exchange therefore wakes one thread (.NET's socket engine spread the two sockets over
/// two epoll threads and woke both).
/// </summary>
/// <remarks>
/// Descriptors are registered edge-triggered for input and output at once and never modified, so the hot path makes
/// no registration call; handlers remember readiness and read until the kernel says EAGAIN (or a short read says the
/// socket is drained). Other threads reach a reactor only through <see cref="Post"/>: a lock-free queue and an
/// eventfd wake-up, written to once until the reactor has looked at the queue. Everything else here is owned by
/// the reactor thread and takes no lock.
/// </remarks>
internal sealed partial class Reactor : IDisposable, IEventSink
{
    private const int WakeSlot = 0;

    private readonly ConcurrentQueue<IReactorWork> _posted = new();
    private readonly Queue<IReactorWork> _deferred = new();
    private readonly Func<long> _clock;
    private readonly ILogger _logger;
    private readonly Counter _errors;
    private readonly Thread _thread;
    private readonly int _wakeFd;

    // Chosen in the constructor; replaced by epoll only if an io_uring ring cannot start on the reactor thread.
    private IEventPort _port;

    // Registrations: the port's token of a descriptor is (generation << 32) | (slot << 1) | side; a slot freed and
    // reused within one batch of events gets a new generation, so stale events of a closed descriptor are dropped.
    private IReactorHandler?[] _handlers = new IReactorHandler?[256];
    private uint[] _generations = new uint[256];
    private int[] _free = new int[256];
    private int _freeCount;
    private int _slotCount = 1;
    private int _wakePending;
    private volatile bool _stopping;
    private long _lastPingSent;
    private long _lastPingAnswered;
    private int _pingQueued;
    private readonly PingWork _ping;

    /// <param name="eventInterface">io_uring when allowed (<see cref="EventInterface.Auto"/>), or epoll.</param>
    public Reactor(int id, Func<long> clock, ILogger logger, Counter errors, EventInterface eventInterface = EventInterface.Auto)
    {
        Id = id;
        _clock = clock;
        _logger = logger;
        _errors = errors;
        _ping = new PingWork(this);
        string? refusal = null;
        _port = (eventInterface == EventInterface.Auto ? UringPort.TryCreate(out refusal) : null) ?? (IEventPort)EpollPort.Create();
        IoUringRefusal = refusal;
        _wakeFd = Native.EventFdCreate();
        if (_wakeFd < 0)
        {
            var errno = Native.LastError;
            _port.Dispose();
            throw new InvalidOperationException($"eventfd failed: errno {errno}");
        }

        Now = clock();
        _lastPingSent = _lastPingAnswered = Now;
        _thread = new Thread(Run) { IsBackground = true, Name = $"kg-reactor-{id}" };
    }

    public int Id { get; }

    /// <summary>The readiness source in use: "io_uring" or "epoll".</summary>
    public string EventInterfaceName => _port.Name;

    /// <summary>Why io_uring was not used although allowed (the kernel's answer); null when it is used or was not asked for.</summary>
    public string? IoUringRefusal { get; }

    /// <summary>The reactor clock (ms), read once per loop turn: what connections stamp activity and deadlines with.</summary>
    public long Now { get; private set; }

    public TimerHeap Timers { get; } = new();

    /// <summary>
    /// When the oldest heartbeat ping this reactor has not answered yet was sent; <see cref="long.MaxValue"/> when
    /// it answered every ping. A reactor stuck in a handler shows here as an old value.
    /// </summary>
    public long OldestUnansweredPing
    {
        get
        {
            var sent = Volatile.Read(ref _lastPingSent);
            return Volatile.Read(ref _lastPingAnswered) >= sent ? long.MaxValue : sent;
        }
    }

    public bool IsOnReactorThread => Thread.CurrentThread == _thread;

    /// <summary>True once <see cref="Stop"/> was called: posted work may never run.</summary>
    public bool IsStopping => _stopping;

    public void Start() => _thread.Start();

    /// <summary>Queues <paramref name="work"/> for the reactor thread; safe from any thread, allocation-free.</summary>
    public void Post(IReactorWork work)
    {
        _posted.Enqueue(work);
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            Native.EventFdSignal(_wakeFd);
        }
    }

    /// <summary>Runs <paramref name="work"/> again after this turn's events (a busy connection yields to the others).</summary>
    public void Defer(IReactorWork work) => _deferred.Enqueue(work);

    /// <summary>Asks the reactor to show it is alive (the systemd watchdog's sign of life); answered by <see cref="OldestUnansweredPing"/>.</summary>
    public void Ping(long now)
    {
        if (Interlocked.Exchange(ref _pingQueued, 1) == 0)
        {
            Volatile.Write(ref _lastPingSent, now);
            Post(_ping);
        }
    }

    /// <summary>
    /// Registers <paramref name="fd"/> for <paramref name="events"/>; <paramref name="side"/> (0 or 1) comes back with
    /// each event. Reactor thread only. Returns the token for <see cref="Unregister"/>, or 0 with the errno in
    /// <paramref name="errno"/>.
    /// </summary>
    public ulong Register(IReactorHandler handler, int fd, int side, uint events, out int errno)
    {
        int slot;
        if (_freeCount > 0)
        {
            slot = _free[--_freeCount];
        }
        else
        {
            if (_slotCount == _handlers.Length)
            {
                Array.Resize(ref _handlers, _handlers.Length * 2);
                Array.Resize(ref _generations, _generations.Length * 2);
                Array.Resize(ref _free, _free.Length * 2);
            }

            slot = _slotCount++;
        }

        _handlers[slot] = handler;
        var token = ((ulong)_generations[slot] << 32) | ((uint)slot << 1) | (uint)side;
        errno = _port.Add(fd, events, token);
        if (errno != 0)
        {
            FreeSlot(slot);
            return 0;
        }

        return token;
    }

    /// <summary>Forgets the registration of <paramref name="fd"/>, a descriptor that stays open (a listening socket). Reactor thread only.</summary>
    public void Unregister(ulong token, int fd)
    {
        if (token == 0)
        {
            return;
        }

        _port.Remove(fd, token);
        FreeSlot((int)((uint)token >> 1));
    }

    /// <summary>
    /// Forgets the registration <paramref name="token"/> (0: none) and closes <paramref name="fd"/>. With io_uring the
    /// close reaches the kernel with this turn's wait, so a peer sees the FIN (or the RST of SO_LINGER 0) at the end
    /// of the turn. Reactor thread only.
    /// </summary>
    public void Close(ulong token, int fd)
    {
        if (token == 0)
        {
            _ = Native.Close(fd);
            return;
        }

        _port.Close(fd, token);
        FreeSlot((int)((uint)token >> 1));
    }

    /// <summary>Stops the loop; waits (at most <paramref name="timeout"/>) for the thread to finish its turn.</summary>
    public void Stop(TimeSpan timeout)
    {
        _stopping = true;
        Native.EventFdSignal(_wakeFd);
        if (_thread.IsAlive && !IsOnReactorThread)
        {
            _thread.Join(timeout);
        }
    }

    public void Dispose()
    {
        Stop(TimeSpan.FromSeconds(5));
        if (!_thread.IsAlive)
        {
            _ = Native.Close(_wakeFd);
            _port.Dispose();
        }
    }

    private void FreeSlot(int slot)
    {
        _handlers[slot] = null;
        _generations[slot]++;
        _free[_freeCount++] = slot;
    }

    private void Run()
    {
        // On this thread: an io_uring ring becomes the submitting thread's own when it is enabled. Nothing is
        // registered before this point (registrations happen on this thread), so falling back to epoll is safe.
        var errno = _port.Start();
        if (errno != 0 && _port is UringPort)
        {
            Log.StartFailed(_logger, Id, _port.Name, errno);
            _port.Dispose();
            _port = EpollPort.Create();
            errno = _port.Start();
        }

        errno = errno == 0 ? _port.Add(_wakeFd, Native.EPOLLIN | Native.EPOLLET, WakeSlot) : errno;
        if (errno != 0)
        {
            // Nothing could ever wake this reactor: say so loudly; the heartbeat's unanswered pings show it too.
            Log.StartFailed(_logger, Id, _port.Name, errno);
            return;
        }

        while (!_stopping)
        {
            try
            {
                errno = _port.Wait(WaitTimeout());
                Now = _clock();
                if (errno != 0)
                {
                    Log.WaitFailed(_logger, Id, _port.Name, errno);
                    Thread.Sleep(10);
                    continue;
                }

                _port.Dispatch(this);

                RunPosted();
                RunDeferred();
                RunTimers();
            }
            catch (Exception ex)
            {
                // Only the loop's own bookkeeping gets here (handlers are guarded one by one): log, count, go on.
                _errors.Increment();
                Log.LoopFailed(_logger, Id, ex);
            }
        }

        // The closes queued in the last turn still go to the kernel.
        _port.Flush();
    }

    private int WaitTimeout()
    {
        if (_deferred.Count > 0 || !_posted.IsEmpty)
        {
            return 0;
        }

        var next = Timers.NextDeadline;
        if (next == long.MaxValue)
        {
            return -1;
        }

        var now = _clock();
        // +1: the wait rounds down to the clock tick, and waking a millisecond early only to sleep again costs a turn.
        return next <= now ? 0 : (int)Math.Min(next - now + 1, int.MaxValue);
    }

    void IEventSink.OnEvent(ulong data, uint events)
    {
        var slot = (int)((uint)data >> 1);
        if (slot == WakeSlot)
        {
            Volatile.Write(ref _wakePending, 0);
            Native.EventFdDrain(_wakeFd);
            return;
        }

        var handler = slot < _slotCount ? _handlers[slot] : null;
        if (handler is null || _generations[slot] != (uint)(data >> 32))
        {
            return;
        }

        try
        {
            handler.OnEvents((int)(data & 1), events);
        }
        catch (Exception ex)
        {
            Fail(handler, ex);
        }
    }

    private void RunPosted()
    {
        // Bounded by what was there at the start, so work posted in a loop cannot starve the sockets.
        var budget = _posted.Count;
        while (budget-- > 0 && _posted.TryDequeue(out var work))
        {
            Execute(work);
        }
    }

    private void RunDeferred()
    {
        for (var count = _deferred.Count; count > 0 && _deferred.TryDequeue(out var work); count--)
        {
            Execute(work);
        }
    }

    private void RunTimers()
    {
        while (Timers.PopDue(Now) is { } timer)
        {
            try
            {
                timer.OnTimer(Now);
            }
            catch (Exception ex)
            {
                Fail(timer as IReactorHandler, ex);
            }
        }
    }

    private void Execute(IReactorWork work)
    {
        try
        {
            work.Execute();
        }
        catch (Exception ex)
        {
            Fail(work as IReactorHandler, ex);
        }
    }

    /// <summary>A handler threw: log and count it, then let the handler release what it holds (never the whole process).</summary>
    private void Fail(IReactorHandler? handler, Exception ex)
    {
        _errors.Increment();
        Log.HandlerFailed(_logger, Id, ex);
        if (handler is null)
        {
            return;
        }

        try
        {
            handler.OnFailed(ex);
        }
        catch (Exception inner)
        {
            Log.HandlerFailed(_logger, Id, inner);
        }
    }

    /// <summary>The heartbeat's ping, answered on the reactor thread.</summary>
    private sealed class PingWork(Reactor reactor) : IReactorWork
    {
        public void Execute()
        {
            Volatile.Write(ref reactor._pingQueued, 0);
            Volatile.Write(ref reactor._lastPingAnswered, Volatile.Read(ref reactor._lastPingSent));
        }
    }
}
