namespace Kubegate.Tests.Health;

/// <summary>
/// A <see cref="Random"/> whose integer draws come from a script (repeating the last value), for jitter and
/// <c>enforcing_*</c> percentages; a drawn value is clamped below the requested bound.
/// </summary>
internal sealed class FixedRandom(params long[] values) : Random
{
    private int _next;

    public override long NextInt64(long maxValue) => Math.Min(Draw(), Math.Max(0, maxValue - 1));

    public override int Next(int maxValue) => (int)NextInt64(maxValue);

    private long Draw()
    {
        var value = values[Math.Min(_next, values.Length - 1)];
        _next++;
        return value;
    }
}
