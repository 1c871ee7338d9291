namespace Kubegate.Proxy.Reactors;

/// <summary>
/// A reactor timer that lives inside the object it times (a connection, an acceptor): one deadline, scheduled on
/// the reactor's <see cref="TimerHeap"/>, so no timer object exists per connection.
/// </summary>
internal abstract class ReactorTimer
{
    /// <summary>When the timer is due, in the reactor clock's milliseconds; meaningful while <see cref="HeapIndex"/> ≥ 0.</summary>
    internal long Deadline;

    /// <summary>The position in the heap; -1 when not scheduled.</summary>
    internal int HeapIndex = -1;

    /// <summary>The deadline passed; runs on the reactor thread, which may schedule the timer again.</summary>
    public abstract void OnTimer(long now);
}
