using Kubegate.AccessLog;
using Kubegate.Configuration;
using Kubegate.Proxy.Filters;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Proxy;

/// <summary>
/// What a connection accepted on a listener needs from that listener's config: its filter chains and how to choose
/// one, the listener filters' settings, the listener's stats and access loggers, resolved once when the config is
/// applied. Immutable; a listener update swaps in a new one and existing connections keep the one they started with.
/// </summary>
internal sealed class ListenerRuntime
{
    public ListenerRuntime(ListenerConfig config, StatsStore stats, AccessLogManager? accessLogs = null, ListenerRuntime? previous = null, ClientConnectionTable? clients = null, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        Config = config;
        if (accessLogs is not null)
        {
            // Compiled once per listener config; validation already rejected formats that do not compile.
            ListenerAccessLoggers = accessLogs.Compile(config.AccessLog);
        }

        ListenerStats = new ListenerStats(stats, config.StatScope);
        TlsInspectorStats = new TlsInspectorStats(stats);

        // A chain whose config did not change keeps its runtime: its connections are not drained and its filters
        // keep their counts (Envoy updates filter chains in place).
        var kept = new Dictionary<FilterChainConfig, FilterChainRuntime>();
        foreach (var chain in previous?.Chains ?? [])
        {
            kept.TryAdd(chain.Config, chain);
        }

        var chains = new List<FilterChainRuntime>();
        var index = 0;
        foreach (var chainConfig in config.AllFilterChains)
        {
            var isDefault = ReferenceEquals(chainConfig, config.DefaultFilterChain);
            var name = chainConfig.Name ?? (isDefault ? "default_filter_chain" : $"filter_chains[{index}]");
            index += isDefault ? 0 : 1;
            if (!kept.Remove(chainConfig, out var chain) || chain.DisplayName != name)
            {
                chain = new FilterChainRuntime(chainConfig, name, stats, accessLogs, logger);
            }

            chains.Add(chain);
            if (isDefault)
            {
                DefaultChain = chain;
            }
        }

        Chains = [.. chains];
        Selector = new FilterChainSelector(DefaultChain is null ? Chains : [.. Chains.Where(c => c != DefaultChain)], DefaultChain);
        InspectsTls = config.TlsInspector;
        if (config.MaxConnectionsPerClient is { } cap && clients is not null)
        {
            ClientCap = new ClientConnectionCap(clients, cap, ListenerStats.DownstreamCxClientLimited, logger, config.Name);
        }

        HasAccessLog = ListenerAccessLoggers.Length > 0 || Chains.Any(c => c.TcpProxyAccessLoggers.Length > 0);
        NeedsLocalAddress = HasAccessLog || Chains.Any(c => c.Config.Match.DestinationPort is not null || c.Filters.Length > 0);
    }

    public ListenerConfig Config { get; }

    public ListenerStats ListenerStats { get; }

    public TlsInspectorStats TlsInspectorStats { get; }

    /// <summary>Every chain, the default chain last.</summary>
    public FilterChainRuntime[] Chains { get; }

    public FilterChainRuntime? DefaultChain { get; }

    public FilterChainSelector Selector { get; }

    /// <summary>tls_inspector is configured: a connection waits for its ClientHello before a chain is chosen.</summary>
    public bool InspectsTls { get; }

    /// <summary>The kubegate per-client cap, null when the listener has none.</summary>
    public ClientConnectionCap? ClientCap { get; }

    /// <summary>The listener's own <c>access_log</c>: written when a connection ends, whatever its chain (or none).</summary>
    public AccessLogger[] ListenerAccessLoggers { get; } = [];

    /// <summary>False when no access log is configured: connections then build no record and inspect no bytes.</summary>
    public bool HasAccessLog { get; }

    /// <summary>The connection's local address is needed (access log, destination port match, filters).</summary>
    public bool NeedsLocalAddress { get; }
}
