namespace Kubegate.Proxy.Reactors;

/// <summary>
/// The timers of one reactor: connect timeouts, idle timeouts, maximum durations and accept back-offs, as a binary
/// min-heap of deadlines. Each timed object carries its own node (<see cref="ReactorTimer"/>), so scheduling
/// allocates nothing; only the heap's array grows, once, to the largest number of timers seen.
/// </summary>
/// <remarks>
/// A heap rather than a hashed wheel: the reactor sleeps in its wait exactly until the earliest deadline, so an
/// idle reactor does not wake on every wheel tick. Timers are rarely rescheduled: an idle timeout is armed at
/// last-activity + timeout when it is scheduled and only re-armed when it fires early (activity since), so traffic
/// does not touch the heap. Owned by the reactor thread; not thread-safe.
/// </remarks>
internal sealed class TimerHeap
{
    private ReactorTimer[] _heap = new ReactorTimer[64];
    private int _count;

    public int Count => _count;

    /// <summary>The earliest deadline; <see cref="long.MaxValue"/> when empty.</summary>
    public long NextDeadline => _count > 0 ? _heap[0].Deadline : long.MaxValue;

    /// <summary>Schedules <paramref name="timer"/> at <paramref name="deadline"/> (moving it when already scheduled).</summary>
    public void Schedule(ReactorTimer timer, long deadline)
    {
        if (timer.HeapIndex >= 0)
        {
            var old = timer.Deadline;
            timer.Deadline = deadline;
            if (deadline < old)
            {
                SiftUp(timer.HeapIndex);
            }
            else if (deadline > old)
            {
                SiftDown(timer.HeapIndex);
            }

            return;
        }

        if (_count == _heap.Length)
        {
            Array.Resize(ref _heap, _heap.Length * 2);
        }

        timer.Deadline = deadline;
        timer.HeapIndex = _count;
        _heap[_count++] = timer;
        SiftUp(timer.HeapIndex);
    }

    public void Cancel(ReactorTimer timer)
    {
        var index = timer.HeapIndex;
        if (index < 0)
        {
            return;
        }

        timer.HeapIndex = -1;
        var last = _heap[--_count];
        _heap[_count] = null!;
        if (index == _count)
        {
            return;
        }

        _heap[index] = last;
        last.HeapIndex = index;
        SiftUp(index);
        SiftDown(last.HeapIndex);
    }

    /// <summary>Removes and returns the earliest timer when its deadline is at or before <paramref name="now"/>.</summary>
    public ReactorTimer? PopDue(long now)
    {
        if (_count == 0 || _heap[0].Deadline > now)
        {
            return null;
        }

        var timer = _heap[0];
        Cancel(timer);
        return timer;
    }

    private void SiftUp(int index)
    {
        var timer = _heap[index];
        while (index > 0)
        {
            var parent = (index - 1) / 2;
            if (_heap[parent].Deadline <= timer.Deadline)
            {
                break;
            }

            _heap[index] = _heap[parent];
            _heap[index].HeapIndex = index;
            index = parent;
        }

        _heap[index] = timer;
        timer.HeapIndex = index;
    }

    private void SiftDown(int index)
    {
        var timer = _heap[index];
        while (true)
        {
            var child = (2 * index) + 1;
            if (child >= _count)
            {
                break;
            }

            if (child + 1 < _count && _heap[child + 1].Deadline < _heap[child].Deadline)
            {
                child++;
            }

            if (_heap[child].Deadline >= timer.Deadline)
            {
                break;
            }

            _heap[index] = _heap[child];
            _heap[index].HeapIndex = index;
            index = child;
        }

        _heap[index] = timer;
        timer.HeapIndex = index;
    }
}
