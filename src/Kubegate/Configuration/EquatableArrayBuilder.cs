namespace Kubegate.Configuration;

/// <summary>Lets collection expressions (<c>[a, b, ..rest]</c>) build an <see cref="EquatableArray{T}"/>.</summary>
internal static class EquatableArrayBuilder
{
    public static EquatableArray<T> Create<T>(ReadOnlySpan<T> items) => new([.. items]);
}
