using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy.Filters;

/// <summary>
/// A network filter of one filter chain, run once per new connection before tcp_proxy (Envoy's
/// <c>onNewConnection</c>). One instance per chain, shared by that chain's connections on every reactor, so its state
/// is thread-safe; a reload that keeps the chain unchanged keeps the instance (and its counts).
/// </summary>
internal abstract class ConnectionFilter
{
    private long _lastLogged = long.MinValue;
    private long _suppressed;

    public abstract FilterDecision OnNewConnection(in ConnectionFacts facts);

    /// <summary>An admitted connection closed.</summary>
    public virtual void OnConnectionClosed(System.Net.IPAddress? source)
    {
    }

    /// <summary>
    /// Logs a refusal at most once a second per filter, with the number of refusals not logged since: a client in a
    /// reconnect loop must not turn into a log flood.
    /// </summary>
    protected void LogRefusal(ILogger logger, long now, string filter, string reason)
    {
        var last = Volatile.Read(ref _lastLogged);
        if ((last != long.MinValue && now - last < 1000) || Interlocked.CompareExchange(ref _lastLogged, now, last) != last)
        {
            Interlocked.Increment(ref _suppressed);
            return;
        }

        FilterLog.Refused(logger, filter, reason, Interlocked.Exchange(ref _suppressed, 0));
    }
}
