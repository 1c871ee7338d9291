namespace Kubegate.Configuration;

/// <summary><c>envoy.filters.network.connection_limit</c>: at most <see cref="MaxConnections"/> open connections through the chain.</summary>
internal sealed record ConnectionLimitConfig : NetworkFilterConfig
{
    public required long MaxConnections { get; init; }

    /// <summary><c>delay</c>: how long a rejected connection is held (not read) before it is closed; null closes at once.</summary>
    public TimeSpan? Delay { get; init; }
}
