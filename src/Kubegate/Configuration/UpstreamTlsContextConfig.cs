namespace Kubegate.Configuration;

/// <summary><c>envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext</c>, the subset health checks use.</summary>
internal sealed record UpstreamTlsContextConfig
{
    public string? Sni { get; init; }

    /// <summary><c>common_tls_context.validation_context.trusted_ca.filename</c>; null means the system trust store.</summary>
    public string? TrustedCaFile { get; init; }

    /// <summary><c>common_tls_context.tls_certificates[0].certificate_chain.filename</c> (client certificate).</summary>
    public string? CertificateChainFile { get; init; }

    /// <summary><c>common_tls_context.tls_certificates[0].private_key.filename</c>.</summary>
    public string? PrivateKeyFile { get; init; }

    public EquatableArray<string> AlpnProtocols { get; init; } = EquatableArray<string>.Empty;

    /// <summary><c>validation_context.match_typed_subject_alt_names</c> / <c>match_subject_alt_names</c> exact values.</summary>
    public EquatableArray<string> MatchSubjectAltNames { get; init; } = EquatableArray<string>.Empty;
}
