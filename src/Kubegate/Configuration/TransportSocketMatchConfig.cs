namespace Kubegate.Configuration;

/// <summary>One <c>transport_socket_matches[]</c> entry.</summary>
internal sealed record TransportSocketMatchConfig
{
    public required string Name { get; init; }

    public EquatableDictionary<string> Match { get; init; } = EquatableDictionary<string>.Empty;

    public required TransportSocketConfig TransportSocket { get; init; }
}
