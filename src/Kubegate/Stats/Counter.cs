namespace Kubegate.Stats;

/// <summary>A monotonically increasing stat (Envoy counter). Lock-free; safe to bump from any thread.</summary>
internal sealed class Counter
{
    private long _value;
    private int _used;

    public Counter(string name) => Name = name;

    public string Name { get; }

    public long Value => Volatile.Read(ref _value);

    /// <summary>True once the counter was ever written (Envoy's <c>?usedonly</c>).</summary>
    public bool Used => Volatile.Read(ref _used) != 0;

    public void Increment()
    {
        Interlocked.Increment(ref _value);
        MarkUsed();
    }

    public void Add(long amount)
    {
        Interlocked.Add(ref _value, amount);
        MarkUsed();
    }

    /// <summary>Zeroes the value (admin <c>/reset_counters</c>); keeps the counter registered.</summary>
    public void Reset() => Interlocked.Exchange(ref _value, 0);

    private void MarkUsed()
    {
        // A plain read first keeps the hot path free of a second interlocked write once the flag is set.
        if (_used == 0)
        {
            Volatile.Write(ref _used, 1);
        }
    }

    public override string ToString() => $"{Name}: {Value}";
}
