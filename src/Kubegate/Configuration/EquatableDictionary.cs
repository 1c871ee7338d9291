using System.Collections;
using System.Collections.Immutable;

namespace Kubegate.Configuration;

/// <summary>
/// An immutable string-keyed map with value equality (ordinal keys), for config fields such as
/// <c>transport_socket_match_criteria</c> whose order does not matter.
/// </summary>
internal readonly struct EquatableDictionary<TValue> : IEquatable<EquatableDictionary<TValue>>, IReadOnlyDictionary<string, TValue>
{
    private readonly ImmutableSortedDictionary<string, TValue>? _items;

    public EquatableDictionary(IEnumerable<KeyValuePair<string, TValue>> items) =>
        _items = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, items);

    public static EquatableDictionary<TValue> Empty => default;

    private ImmutableSortedDictionary<string, TValue> Items => _items ?? ImmutableSortedDictionary<string, TValue>.Empty.WithComparers(StringComparer.Ordinal);

    public int Count => Items.Count;

    public TValue this[string key] => Items[key];

    public IEnumerable<string> Keys => Items.Keys;

    public IEnumerable<TValue> Values => Items.Values;

    public bool ContainsKey(string key) => Items.ContainsKey(key);

    public bool TryGetValue(string key, out TValue value) => Items.TryGetValue(key, out value!);

    public bool Equals(EquatableDictionary<TValue> other)
    {
        if (Count != other.Count)
        {
            return false;
        }

        foreach (var (key, value) in Items)
        {
            if (!other.TryGetValue(key, out var otherValue) || !EqualityComparer<TValue>.Default.Equals(value, otherValue))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is EquatableDictionary<TValue> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (key, value) in Items)
        {
            hash.Add(key);
            hash.Add(value);
        }

        return hash.ToHashCode();
    }

    public IEnumerator<KeyValuePair<string, TValue>> GetEnumerator() => Items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public static bool operator ==(EquatableDictionary<TValue> left, EquatableDictionary<TValue> right) => left.Equals(right);

    public static bool operator !=(EquatableDictionary<TValue> left, EquatableDictionary<TValue> right) => !left.Equals(right);
}
