namespace Kubegate.Configuration;

/// <summary><c>envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext</c>, the subset health checks use.</summary>
internal sealed record UpstreamTlsContextConfig
{
    public string? Sni { get; init; }

    /// <summary>
    /// <c>common_tls_context.validation_context.trusted_ca.filename</c>, resolved to a full path against the working
    /// directory; null (with <see cref="TrustedCaPem"/> also null) means the peer certificate is not verified, as in Envoy.
    /// </summary>
    public string? TrustedCaFile { get; init; }

    /// <summary><c>trusted_ca</c> given inline (<c>inline_string</c>/<c>inline_bytes</c>/<c>environment_variable</c>): PEM text.</summary>
    public string? TrustedCaPem { get; init; }

    /// <summary><c>common_tls_context.tls_certificates[0].certificate_chain.filename</c> (client certificate).</summary>
    public string? CertificateChainFile { get; init; }

    /// <summary><c>certificate_chain</c> given inline: PEM text.</summary>
    public string? CertificateChainPem { get; init; }

    /// <summary><c>common_tls_context.tls_certificates[0].private_key.filename</c>.</summary>
    public string? PrivateKeyFile { get; init; }

    /// <summary><c>private_key</c> given inline: PEM text.</summary>
    public string? PrivateKeyPem { get; init; }

    public EquatableArray<string> AlpnProtocols { get; init; } = EquatableArray<string>.Empty;

    /// <summary><c>validation_context.match_typed_subject_alt_names</c> / <c>match_subject_alt_names</c> exact values.</summary>
    public EquatableArray<string> MatchSubjectAltNames { get; init; } = EquatableArray<string>.Empty;
}
