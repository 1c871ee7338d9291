using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy.Filters;

/// <summary>
/// kubegate extension <c>max_connections_per_client</c>, run at accept before the listener filters: a client address
/// holding that many open connections on the listener has its next one closed at once. Envoy has no filter for this
/// (the apiserver none either, kubernetes/kubernetes#39901); one runaway controller must not take every slot.
/// </summary>
internal sealed class ClientConnectionCap : ConnectionFilter
{
    private readonly ClientConnectionTable _table;
    private readonly long _max;
    private readonly Counter _limited;
    private readonly ILogger _logger;
    private readonly string _listener;

    public ClientConnectionCap(ClientConnectionTable table, long max, Counter limited, ILogger logger, string listener)
    {
        _table = table;
        _max = max;
        _limited = limited;
        _logger = logger;
        _listener = listener;
    }

    public override FilterDecision OnNewConnection(in ConnectionFacts facts)
    {
        if (facts.Source is not { } source || _table.TryAcquire(source, _max, out var open))
        {
            return FilterDecision.Admit;
        }

        _limited.Increment();
        LogRefusal(_logger, facts.Now, "listener " + _listener + " max_connections_per_client", $"client {source} holds {open} connection(s), the cap is {_max}");
        return new FilterDecision(false, 0, "kubegate_client_connection_limit");
    }

    public override void OnConnectionClosed(System.Net.IPAddress? source)
    {
        if (source is not null)
        {
            _table.Release(source);
        }
    }
}
