namespace Kubegate.Configuration;

/// <summary>One <c>transport_socket_matches[]</c> entry.</summary>
internal sealed record TransportSocketMatchConfig
{
    public required string Name { get; init; }

    public EquatableDictionary<string> Match { get; init; } = EquatableDictionary<string>.Empty;

    public required TransportSocketConfig TransportSocket { get; init; }

    /// <summary>True when every key/value of <see cref="Match"/> appears in <paramref name="metadata"/> (an empty match matches all).</summary>
    public bool Matches(EquatableDictionary<string> metadata)
    {
        foreach (var (key, value) in Match)
        {
            if (!metadata.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
