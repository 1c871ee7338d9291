using System.Buffers;
using System.Collections.Concurrent;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// An <see cref="ArrayPool{T}"/> that knows which of its arrays are out, like Kestrel's diagnostic memory pool: tests
/// assert that idle connections hold no buffer and that every rented buffer comes back exactly once.
/// </summary>
internal sealed class CountingArrayPool : ArrayPool<byte>
{
    private readonly ArrayPool<byte> _inner = Create();
    private readonly ConcurrentDictionary<byte[], byte> _outstanding = new(ReferenceEqualityComparer.Instance);
    private long _totalRented;
    private long _badReturns;

    /// <summary>Arrays rented and not yet returned.</summary>
    public int Outstanding => _outstanding.Count;

    public long TotalRented => Interlocked.Read(ref _totalRented);

    /// <summary>Returns of arrays this pool did not hand out, or handed out and already got back.</summary>
    public long BadReturns => Interlocked.Read(ref _badReturns);

    public override byte[] Rent(int minimumLength)
    {
        var array = _inner.Rent(minimumLength);
        _outstanding[array] = 0;
        Interlocked.Increment(ref _totalRented);
        return array;
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        if (!_outstanding.TryRemove(array, out _))
        {
            Interlocked.Increment(ref _badReturns);
            return;
        }

        _inner.Return(array, clearArray);
    }
}
