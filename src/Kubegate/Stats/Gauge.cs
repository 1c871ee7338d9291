namespace Kubegate.Stats;

/// <summary>A stat that goes up and down (Envoy gauge), e.g. active connections.</summary>
internal sealed class Gauge
{
    private long _value;
    private int _used;

    public Gauge(string name) => Name = name;

    public string Name { get; }

    public long Value => Volatile.Read(ref _value);

    public bool Used => Volatile.Read(ref _used) != 0;

    public void Increment()
    {
        Interlocked.Increment(ref _value);
        MarkUsed();
    }

    public void Decrement() => Interlocked.Decrement(ref _value);

    public void Set(long value)
    {
        Interlocked.Exchange(ref _value, value);
        MarkUsed();
    }

    private void MarkUsed()
    {
        if (_used == 0)
        {
            Volatile.Write(ref _used, 1);
        }
    }

    public override string ToString() => $"{Name}: {Value}";
}
