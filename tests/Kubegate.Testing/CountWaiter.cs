namespace Kubegate.Testing;

/// <summary>A counter that tasks can await reaching a value (connections seen, requests served, lines read).</summary>
internal sealed class CountWaiter
{
    private readonly Lock _lock = new();
    private readonly List<(long Target, TaskCompletionSource Completion)> _waiters = [];
    private long _count;
    private Exception? _failure;

    public long Count => Interlocked.Read(ref _count);

    public void Increment()
    {
        lock (_lock)
        {
            _count++;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Target <= _count)
                {
                    _waiters[i].Completion.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Completes once the count is at least <paramref name="target"/>; fails if <see cref="Fail"/> is called first.</summary>
    public Task WaitAsync(long target, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_count >= target)
            {
                return Task.CompletedTask;
            }

            if (_failure is not null)
            {
                return Task.FromException(_failure);
            }

            var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((target, completion));
            return cancellationToken.CanBeCanceled ? completion.Task.WaitAsync(cancellationToken) : completion.Task;
        }
    }

    /// <summary>
    /// Fails every pending waiter, and every later one whose target is not yet reached: the count will not grow any
    /// more (the process producing it exited).
    /// </summary>
    public void Fail(Exception exception)
    {
        lock (_lock)
        {
            _failure = exception;
            foreach (var (_, completion) in _waiters)
            {
                completion.TrySetException(exception);
            }

            _waiters.Clear();
        }
    }
}
