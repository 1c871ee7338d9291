namespace Kubegate.Configuration;

/// <summary>
/// <c>envoy.filters.network.local_ratelimit</c>: a token bucket on new connections; each takes one token, and a
/// connection finding none is closed. The bucket starts full.
/// </summary>
internal sealed record LocalRateLimitConfig : NetworkFilterConfig
{
    public required long MaxTokens { get; init; }

    /// <summary><c>tokens_per_fill</c>; Envoy's default is 1.</summary>
    public long TokensPerFill { get; init; } = 1;

    public required TimeSpan FillInterval { get; init; }
}
