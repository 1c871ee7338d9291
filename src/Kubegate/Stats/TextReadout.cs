namespace Kubegate.Stats;

/// <summary>
/// A stat that holds text (Envoy text readout), e.g. <c>listener_manager.lds.version_text</c>. Kept apart from the
/// numeric counters and gauges, as Envoy keeps them: <c>/stats</c> prints them, Prometheus output leaves them out.
/// </summary>
internal sealed class TextReadout
{
    private string _value = string.Empty;
    private int _used;

    public TextReadout(string name) => Name = name;

    public string Name { get; }

    public string Value => Volatile.Read(ref _value);

    /// <summary>True once the readout was ever set (Envoy's <c>?usedonly</c>).</summary>
    public bool Used => Volatile.Read(ref _used) != 0;

    public void Set(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Volatile.Write(ref _value, value);
        if (_used == 0)
        {
            Volatile.Write(ref _used, 1);
        }
    }

    public override string ToString() => $"{Name}: \"{Value}\"";
}
