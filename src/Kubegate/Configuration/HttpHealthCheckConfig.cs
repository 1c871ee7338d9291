namespace Kubegate.Configuration;

/// <summary><c>http_health_check</c>.</summary>
internal sealed record HttpHealthCheckConfig
{
    public required string Path { get; init; }

    /// <summary>Host header; null means the cluster name (Envoy's default).</summary>
    public string? Host { get; init; }

    public string Method { get; init; } = "GET";

    public CodecClientType CodecClientType { get; init; } = CodecClientType.Http1;

    public EquatableArray<HeaderValueOptionConfig> RequestHeadersToAdd { get; init; } = EquatableArray<HeaderValueOptionConfig>.Empty;

    public EquatableArray<string> RequestHeadersToRemove { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Half-open <c>[start, end)</c> ranges; empty means exactly 200.</summary>
    public EquatableArray<StatusRange> ExpectedStatuses { get; init; } = EquatableArray<StatusRange>.Empty;

    public EquatableArray<StatusRange> RetriableStatuses { get; init; } = EquatableArray<StatusRange>.Empty;
}
