using System.Collections.Concurrent;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy.Reactors;

/// <summary>
/// One event-loop thread with its own epoll instance: it accepts on every listener, and both sockets of each
/// connection it accepted, with the connection's timers, stay on it for the connection's whole life. An exchange
/// therefore wakes one thread (.NET's socket engine spread the two sockets over two epoll threads and woke both).
/// </summary>
/// <remarks>
/// Descriptors are registered edge-triggered for input and output at once and never modified, so the hot path makes
/// no epoll_ctl call; handlers remember readiness and read until the kernel says EAGAIN (or a short read says the
/// socket is drained). Other threads reach a reactor only through <see cref="Post"/>: a lock-free queue and an
/// eventfd wake-up, written to once until the reactor has looked at the queue. Everything else here is owned by
/// the reactor thread and takes no lock.
/// </remarks>
internal sealed partial class Reactor : IDisposable
{
    private const int MaxEvents = 256;
    private const int WakeSlot = 0;

    private readonly ConcurrentQueue<IReactorWork> _posted = new();
    private readonly Queue<IReactorWork> _deferred = new();
    private readonly Func<long> _clock;
    private readonly ILogger _logger;
    private readonly Counter _errors;
    private readonly Thread _thread;
    private readonly int _epollFd;
    private readonly int _wakeFd;

    // Registrations: the epoll data of a descriptor is (generation << 32) | (slot << 1) | side; a slot freed and
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

    public Reactor(int id, Func<long> clock, ILogger logger, Counter errors)
    {
        Id = id;
        _clock = clock;
        _logger = logger;
        _errors = errors;
        _ping = new PingWork(this);
        _epollFd = Native.EpollCreate();
        if (_epollFd < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed: errno {Native.LastError}");
        }

        _wakeFd = Native.EventFdCreate();
        if (_wakeFd < 0 || Native.EpollAdd(_epollFd, _wakeFd, Native.EPOLLIN, WakeSlot) != 0)
        {
            var errno = Native.LastError;
            _ = Native.Close(_epollFd);
            throw new InvalidOperationException($"eventfd failed: errno {errno}");
        }

        Now = clock();
        _lastPingSent = _lastPingAnswered = Now;
        _thread = new Thread(Run) { IsBackground = true, Name = $"kg-reactor-{id}" };
    }

    public int Id { get; }

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
        errno = Native.EpollAdd(_epollFd, fd, events, token);
        if (errno != 0)
        {
            FreeSlot(slot);
            return 0;
        }

        return token;
    }

    /// <summary>
    /// Forgets a registration. With <paramref name="fd"/> ≥ 0 the descriptor is also removed from epoll (needed when
    /// it stays open, as a listening socket does); a descriptor about to be closed leaves epoll by itself.
    /// </summary>
    public void Unregister(ulong token, int fd = -1)
    {
        if (token == 0)
        {
            return;
        }

        if (fd >= 0)
        {
            _ = Native.EpollDelete(_epollFd, fd);
        }

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
            _ = Native.Close(_epollFd);
        }
    }

    private void FreeSlot(int slot)
    {
        _handlers[slot] = null;
        _generations[slot]++;
        _free[_freeCount++] = slot;
    }

    private unsafe void Run()
    {
        var events = stackalloc byte[MaxEvents * Native.EpollEventSize];
        while (!_stopping)
        {
            try
            {
                var timeout = WaitTimeout();
                var count = Native.EpollWait(_epollFd, events, MaxEvents, timeout);
                Now = _clock();
                if (count < 0)
                {
                    var errno = Native.LastError;
                    if (errno != Native.EINTR)
                    {
                        Log.WaitFailed(_logger, Id, errno);
                        Thread.Sleep(10);
                    }

                    continue;
                }

                for (var i = 0; i < count; i++)
                {
                    Dispatch(Native.EpollData(events, i), Native.EpollEvents(events, i));
                }

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
        // +1: epoll_wait rounds down to the clock tick, and waking a millisecond early only to sleep again costs a turn.
        return next <= now ? 0 : (int)Math.Min(next - now + 1, int.MaxValue);
    }

    private void Dispatch(ulong data, uint events)
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
