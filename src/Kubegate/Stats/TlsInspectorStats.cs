namespace Kubegate.Stats;

/// <summary><c>tls_inspector.*</c>: Envoy's process-wide stats of the TLS inspector listener filter.</summary>
internal sealed class TlsInspectorStats
{
    public TlsInspectorStats(StatsStore store)
    {
        ClientHelloTooLarge = store.Counter("tls_inspector.client_hello_too_large");
        TlsFound = store.Counter("tls_inspector.tls_found");
        TlsNotFound = store.Counter("tls_inspector.tls_not_found");
        SniFound = store.Counter("tls_inspector.sni_found");
        SniNotFound = store.Counter("tls_inspector.sni_not_found");
        AlpnFound = store.Counter("tls_inspector.alpn_found");
        AlpnNotFound = store.Counter("tls_inspector.alpn_not_found");
    }

    public Counter ClientHelloTooLarge { get; }

    public Counter TlsFound { get; }

    public Counter TlsNotFound { get; }

    public Counter SniFound { get; }

    public Counter SniNotFound { get; }

    public Counter AlpnFound { get; }

    public Counter AlpnNotFound { get; }
}
