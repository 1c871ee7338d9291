namespace Kubegate.Configuration;

/// <summary>
/// Envoy's <c>FilterChainMatch</c>, the criteria kubegate implements: destination port, server names (exact or
/// <c>*.suffix</c>), transport protocol and application protocols (ALPN). An empty criterion matches anything.
/// </summary>
internal sealed record FilterChainMatchConfig
{
    public static readonly FilterChainMatchConfig Any = new();

    /// <summary><c>destination_port</c>; null when unset.</summary>
    public int? DestinationPort { get; init; }

    public EquatableArray<string> ServerNames { get; init; } = EquatableArray<string>.Empty;

    /// <summary><c>transport_protocol</c>: <c>tls</c>, <c>raw_buffer</c>, or empty for any.</summary>
    public string TransportProtocol { get; init; } = string.Empty;

    public EquatableArray<string> ApplicationProtocols { get; init; } = EquatableArray<string>.Empty;

    /// <summary>True when the chain asks for something only <c>tls_inspector</c> can tell.</summary>
    public bool NeedsTlsInspector => !ServerNames.IsEmpty || TransportProtocol == "tls" || !ApplicationProtocols.IsEmpty;

    public override string ToString()
    {
        var parts = new List<string>();
        if (DestinationPort is { } port)
        {
            parts.Add("destination_port: " + port);
        }

        if (!ServerNames.IsEmpty)
        {
            parts.Add("server_names: [" + string.Join(", ", ServerNames) + "]");
        }

        if (TransportProtocol.Length > 0)
        {
            parts.Add("transport_protocol: " + TransportProtocol);
        }

        if (!ApplicationProtocols.IsEmpty)
        {
            parts.Add("application_protocols: [" + string.Join(", ", ApplicationProtocols) + "]");
        }

        return parts.Count == 0 ? "{}" : "{" + string.Join(", ", parts) + "}";
    }
}
