using Kubegate.Configuration;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy.Filters;

/// <summary>
/// <c>envoy.filters.network.connection_limit</c>: at most <c>max_connections</c> open connections through the chain;
/// stats <c>connection_limit.&lt;stat_prefix&gt;.limited_connections</c> and <c>active_connections</c>.
/// </summary>
internal sealed class ConnectionLimitFilter : ConnectionFilter
{
    private readonly ConnectionLimitConfig _config;
    private readonly ILogger _logger;
    private readonly Counter _limited;
    private readonly Gauge _active;
    private readonly long _delayMs;
    private long _open;

    public ConnectionLimitFilter(ConnectionLimitConfig config, StatsStore stats, ILogger logger)
    {
        _config = config;
        _logger = logger;
        var scope = "connection_limit." + config.StatPrefix + ".";
        _limited = stats.Counter(scope + "limited_connections");
        _active = stats.Gauge(scope + "active_connections");
        _delayMs = config.Delay is { } delay ? (long)delay.TotalMilliseconds : 0;
    }

    public override FilterDecision OnNewConnection(in ConnectionFacts facts)
    {
        // Envoy's incrementConnectionWithinLimit: a CAS loop, so the limit holds exactly under concurrent accepts.
        var open = Volatile.Read(ref _open);
        while (true)
        {
            if (open >= _config.MaxConnections)
            {
                _limited.Increment();
                LogRefusal(_logger, facts.Now, "connection_limit " + _config.StatPrefix, $"{open} connection(s) open, max_connections {_config.MaxConnections}; client {facts.Source}");
                return new FilterDecision(false, _delayMs, "connection_limit_exceeded");
            }

            var seen = Interlocked.CompareExchange(ref _open, open + 1, open);
            if (seen == open)
            {
                _active.Increment();
                return FilterDecision.Admit;
            }

            open = seen;
        }
    }

    public override void OnConnectionClosed(System.Net.IPAddress? source)
    {
        Interlocked.Decrement(ref _open);
        _active.Decrement();
    }
}
