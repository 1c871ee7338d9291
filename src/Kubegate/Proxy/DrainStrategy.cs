namespace Kubegate.Proxy;

/// <summary>
/// Envoy's <c>--drain-strategy</c>: how fast open connections are encouraged to close during the shutdown drain.
/// </summary>
/// <remarks>
/// Envoy encourages a connection to drain at its next request boundary. kubegate passes TLS through and cannot see
/// requests, so its boundary is a connection that has been quiet (no bytes either way) for one heartbeat (1 s):
/// such a connection is closed with FIN, as for an idle timeout. A connection in the middle of a transfer is never
/// cut before <c>--drain-time-s</c>; whatever is still open then is closed.
/// </remarks>
internal enum DrainStrategy
{
    /// <summary>
    /// The default: the share of connections encouraged to drain rises from 0 to 100 % over the drain time, so
    /// clients do not all reconnect (to another kubegate) in the same second.
    /// </summary>
    Gradual,

    /// <summary>Every connection is encouraged to drain as soon as the drain starts.</summary>
    Immediate,
}
