namespace Kubegate.Configuration.Watching;

/// <summary>
/// Calls back once a burst of signals has been quiet for <see cref="Delay"/>: each signal restarts the wait. An
/// editor's save, <c>kubectl cp</c> or a ConfigMap swap raises several events within milliseconds; reading the file
/// after the last of them sees the finished content. One timer, re-armed, never a timer per event.
/// </summary>
internal sealed class Debouncer : IDisposable
{
    /// <summary>250 ms, as <c>FileConfigurationProvider.ReloadDelay</c> in Microsoft.Extensions.Configuration.</summary>
    public static readonly TimeSpan DefaultDelay = TimeSpan.FromMilliseconds(250);

    private readonly Lock _lock = new();
    private readonly ITimer _timer;
    private readonly Action _callback;
    private bool _disposed;

    public Debouncer(Action callback, TimeProvider time, TimeSpan? delay = null)
    {
        _callback = callback;
        Delay = delay ?? DefaultDelay;
        _timer = time.CreateTimer(static s => ((Debouncer)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public TimeSpan Delay { get; }

    /// <summary>(Re)starts the quiet period; the callback runs <see cref="Delay"/> after the last signal.</summary>
    public void Signal()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _timer.Change(Delay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }

    private void Fire()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
        }

        _callback();
    }
}
