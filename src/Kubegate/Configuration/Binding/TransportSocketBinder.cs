using System.Collections.Immutable;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// Binds cluster <c>transport_socket</c> / <c>transport_socket_matches[].transport_socket</c>:
/// <c>envoy.transport_sockets.tls</c> with an <c>UpstreamTlsContext</c>, or <c>raw_buffer</c> (plaintext).
/// </summary>
internal static class TransportSocketBinder
{
    private const string TlsName = "envoy.transport_sockets.tls";
    private const string RawBufferName = "envoy.transport_sockets.raw_buffer";

    public static TransportSocketConfig? Bind(BindContext ctx, Field field)
    {
        var m = MessageReader.Open(ctx, field, ProtoTypes.TransportSocket);
        if (m is null)
        {
            return null;
        }

        var errorsBefore = ctx.ErrorCount;
        var name = m.RequiredString("name", $"write name: {TlsName}");
        var typedConfig = m.Find("typed_config");
        string? typeUrl = null;
        UpstreamTlsContextConfig? tls = null;
        if (!typedConfig.HasValue)
        {
            if (name == TlsName)
            {
                tls = new UpstreamTlsContextConfig();
            }
            else if (name is not null && name != RawBufferName)
            {
                ctx.Error(m.Line, m.Path, $"kubegate supports the {TlsName} and {RawBufferName} transport sockets; found '{name}'", $"write name: {TlsName} with an UpstreamTlsContext typed_config");
            }
        }
        else if (MessageReader.OpenAny(ctx, typedConfig, ProtoTypes.UpstreamTlsContext) is { } any)
        {
            typeUrl = any.TypeUrl;
            if (any.Is(ProtoTypes.UpstreamTlsContext))
            {
                tls = BindTls(ctx, any.Body);
            }
            else if (any.Is(ProtoTypes.RawBuffer))
            {
                any.Body.Finish();
            }
            else
            {
                ctx.Error(
                    any.TypeLine,
                    MessageReader.Child(typedConfig.Path, "@type"),
                    $"kubegate supports UpstreamTlsContext (TLS) and RawBuffer (plaintext) transport sockets; found {any.MessageName}",
                    $"write \"@type\": {ProtoTypes.Url(ProtoTypes.UpstreamTlsContext)}");
            }
        }

        m.Finish();
        return name is null || ctx.ErrorCount != errorsBefore ? null : new TransportSocketConfig { Name = name, TypeUrl = typeUrl, Tls = tls };
    }

    private static UpstreamTlsContextConfig? BindTls(BindContext ctx, MessageReader m)
    {
        var sniField = m.Find("sni");
        var sni = ProtoValues.String(ctx, sniField);
        if (sni is { Length: > 255 })
        {
            ctx.Error(sniField.Line, sniField.Path, "sni must be at most 255 characters");
        }

        var result = new UpstreamTlsContextConfig { Sni = string.IsNullOrEmpty(sni) ? null : sni };
        var common = m.Message("common_tls_context", ProtoTypes.CommonTlsContext);
        if (common is not null)
        {
            result = result with { AlpnProtocols = common.StringList("alpn_protocols") };
            var certificates = common.List("tls_certificates");
            for (var i = 0; i < certificates.Length; i++)
            {
                var certificate = common.Message(certificates[i], ProtoTypes.TlsCertificate);
                if (certificate is null)
                {
                    continue;
                }

                var chainField = certificate.Find("certificate_chain");
                var keyField = certificate.Find("private_key");
                var chain = DataSourceBinder.Bind(ctx, chainField, "certificate_chain");
                var key = DataSourceBinder.Bind(ctx, keyField, "private_key");
                certificate.Finish();
                if (chainField.HasValue != keyField.HasValue)
                {
                    ctx.Error(certificate.Line, certificate.Path, "a client certificate needs both certificate_chain and private_key", "write certificate_chain: {filename: <cert.pem>} and private_key: {filename: <key.pem>}");
                }

                if (i == 0)
                {
                    result = result with
                    {
                        CertificateChainFile = chain?.FullPath,
                        CertificateChainPem = chain?.Inline,
                        PrivateKeyFile = key?.FullPath,
                        PrivateKeyPem = key?.Inline,
                    };
                }
                else
                {
                    ctx.Warning(certificate.Line, certificate.Path, "kubegate presents only the first client certificate (tls_certificates[0])", "remove the extra entries");
                }
            }

            var validation = common.Message("validation_context", ProtoTypes.CertificateValidationContext);
            if (validation is not null)
            {
                var trustedCa = DataSourceBinder.Bind(ctx, validation.Find("trusted_ca"), "trusted_ca");
                var names = ImmutableArray.CreateBuilder<string>();
                foreach (var element in validation.List("match_typed_subject_alt_names"))
                {
                    var matcher = validation.Message(element, ProtoTypes.SubjectAltNameMatcher);
                    if (matcher is null)
                    {
                        continue;
                    }

                    var sanTypeField = matcher.Find("san_type");
                    var sanType = ProtoValues.Enum(ctx, sanTypeField, ProtoEnum.SanType);
                    if (!sanTypeField.HasValue || sanType == 0)
                    {
                        ctx.Error(sanTypeField.Line, sanTypeField.Path, "san_type is required (and must not be SAN_TYPE_UNSPECIFIED)", "write san_type: DNS (or IP_ADDRESS, URI, EMAIL)");
                    }

                    matcher.Find("oid");
                    var exact = ExactMatcher(ctx, matcher.Find("matcher"), matcher);
                    matcher.Finish();
                    if (exact is not null)
                    {
                        names.Add(exact);
                    }
                }

                var legacyField = validation.Find("match_subject_alt_names");
                foreach (var element in ProtoValues.List(ctx, legacyField))
                {
                    var exact = ExactMatcher(ctx, new Field("match_subject_alt_names", "match_subject_alt_names", element.Node, element.Path, element.Line), validation);
                    if (exact is not null)
                    {
                        names.Add(exact);
                    }
                }

                if (legacyField.HasValue)
                {
                    ctx.Deprecated(legacyField.Line, legacyField.Path, "match_subject_alt_names", "write match_typed_subject_alt_names: [{san_type: DNS, matcher: {exact: <name>}}]");
                }

                validation.Finish();
                result = result with
                {
                    TrustedCaFile = trustedCa?.FullPath,
                    TrustedCaPem = trustedCa?.Inline,
                    MatchSubjectAltNames = names.ToImmutable(),
                };
            }

            common.Finish();
        }

        m.Finish();
        return result;
    }

    private static string? ExactMatcher(BindContext ctx, Field field, MessageReader parent)
    {
        if (!field.HasValue)
        {
            parent.Missing(field.Name, "write matcher: {exact: <name>}");
            return null;
        }

        var matcher = MessageReader.Open(ctx, field, ProtoTypes.StringMatcher);
        if (matcher is null)
        {
            return null;
        }

        var exact = matcher.String("exact");
        var ignoreCase = matcher.Find("ignore_case");
        foreach (var other in new[] { "prefix", "suffix", "safe_regex", "contains", "custom" })
        {
            var otherField = matcher.Find(other);
            if (otherField.HasValue)
            {
                ctx.Error(otherField.Line, otherField.Path, $"kubegate matches subject alt names exactly; '{other}' is not supported", "write exact: <name>");
            }
        }

        if (ProtoValues.Bool(ctx, ignoreCase, wrapper: false) == true)
        {
            ctx.Warning(ignoreCase.Line, ignoreCase.Path, "ignored by kubegate: subject alt names are compared exactly");
        }

        matcher.Finish();
        return exact;
    }
}
