namespace Kubegate.Configuration;

/// <summary>
/// A cluster <c>transport_socket</c>. kubegate never wraps proxied traffic in TLS (TLS passes through); an upstream
/// TLS context is used only by health checks, which talk to the apiserver themselves.
/// </summary>
internal sealed record TransportSocketConfig
{
    public required string Name { get; init; }

    public string? TypeUrl { get; init; }

    /// <summary>Set for <c>envoy.transport_sockets.tls</c> with an <c>UpstreamTlsContext</c>.</summary>
    public UpstreamTlsContextConfig? Tls { get; init; }
}
