namespace Kubegate.Proxy;

/// <summary>
/// Envoy's filter-chain matching (FilterChainManagerImpl::findFilterChain), for the criteria kubegate implements:
/// destination port, then server name (exact, then the longest <c>*.suffix</c> wildcard, then chains without server
/// names), then transport protocol (exact, then any), then application protocols (the client's first offered
/// protocol some chain names, then any). Each step takes the most specific bucket and never falls back to a less
/// specific one when the chosen bucket has nothing further down, as in Envoy; nothing matched means the default
/// chain (or none: flag NR).
/// </summary>
internal sealed class FilterChainSelector
{
    // destination port (0: any) → server name ("" any, "*.x" wildcard) → transport ("" any) → ALPN ("" any) → chain
    private readonly Dictionary<int, Dictionary<string, Dictionary<string, Dictionary<string, FilterChainRuntime>>>> _tree = [];
    private readonly FilterChainRuntime? _default;

    // The common listener (one chain that matches every connection): chosen without a lookup on each accept.
    private readonly FilterChainRuntime? _only;

    public FilterChainSelector(IReadOnlyList<FilterChainRuntime> chains, FilterChainRuntime? defaultChain)
    {
        _default = defaultChain;
        if (chains is [{ Config.Match: { DestinationPort: null, ServerNames.IsEmpty: true, TransportProtocol.Length: 0, ApplicationProtocols.IsEmpty: true } } only])
        {
            _only = only;
        }

        foreach (var chain in chains)
        {
            var match = chain.Config.Match;
            var byName = GetOrAdd(_tree, match.DestinationPort ?? 0, static () => new(StringComparer.Ordinal));
            foreach (var name in match.ServerNames.IsEmpty ? [string.Empty] : match.ServerNames.AsImmutableArray())
            {
                var byTransport = GetOrAdd(byName, name, static () => new(StringComparer.Ordinal));
                var byAlpn = GetOrAdd(byTransport, match.TransportProtocol, static () => new(StringComparer.Ordinal));
                foreach (var protocol in match.ApplicationProtocols.IsEmpty ? [string.Empty] : match.ApplicationProtocols.AsImmutableArray())
                {
                    // Overlaps are refused by config validation; the first chain wins should one slip through.
                    byAlpn.TryAdd(protocol, chain);
                }
            }
        }

        UsesApplicationProtocols = chains.Any(c => !c.Config.Match.ApplicationProtocols.IsEmpty);
    }

    /// <summary>True when some chain matches on ALPN, so the inspector must read the client's protocol list.</summary>
    public bool UsesApplicationProtocols { get; }

    public FilterChainRuntime? Select(int destinationPort, string? serverName, string transportProtocol, string[]? applicationProtocols)
    {
        if (_only is not null)
        {
            return _only;
        }

        if (!_tree.TryGetValue(destinationPort, out var byName) && !_tree.TryGetValue(0, out byName))
        {
            return _default;
        }

        var byTransport = FindServerName(byName, serverName ?? string.Empty);
        if (byTransport is null)
        {
            return _default;
        }

        if (!byTransport.TryGetValue(transportProtocol, out var byAlpn) && !byTransport.TryGetValue(string.Empty, out byAlpn))
        {
            return _default;
        }

        if (applicationProtocols is not null)
        {
            foreach (var protocol in applicationProtocols)
            {
                if (byAlpn.TryGetValue(protocol, out var chain))
                {
                    return chain;
                }
            }
        }

        return byAlpn.TryGetValue(string.Empty, out var any) ? any : _default;
    }

    private static Dictionary<string, Dictionary<string, FilterChainRuntime>>? FindServerName(
        Dictionary<string, Dictionary<string, Dictionary<string, FilterChainRuntime>>> byName, string serverName)
    {
        if (serverName.Length > 0)
        {
            if (byName.TryGetValue(serverName, out var exact))
            {
                return exact;
            }

            // "*.b.c" before "*.c" for "a.b.c": Envoy walks the dots from the left, so the longest suffix comes first.
            var lookup = byName.GetAlternateLookup<ReadOnlySpan<char>>();
            Span<char> wildcard = stackalloc char[serverName.Length + 1];
            wildcard[0] = '*';
            var dot = serverName.IndexOf('.', 1);
            while (dot > 0 && dot < serverName.Length - 1)
            {
                var suffix = serverName.AsSpan(dot);
                suffix.CopyTo(wildcard[1..]);
                if (lookup.TryGetValue(wildcard[..(suffix.Length + 1)], out var match))
                {
                    return match;
                }

                dot = serverName.IndexOf('.', dot + 1);
            }
        }

        return byName.TryGetValue(string.Empty, out var any) ? any : null;
    }

    private static TValue GetOrAdd<TKey, TValue>(Dictionary<TKey, TValue> map, TKey key, Func<TValue> create)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var value))
        {
            value = create();
            map[key] = value;
        }

        return value;
    }
}
