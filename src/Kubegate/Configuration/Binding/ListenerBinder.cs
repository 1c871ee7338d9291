namespace Kubegate.Configuration.Binding;

/// <summary>
/// Binds <c>envoy.config.listener.v3.Listener</c> (spec 2.1): an address, filter chains (selected by
/// <c>filter_chain_match</c>, as in Envoy), each ending in one <c>envoy.filters.network.tcp_proxy</c> filter, and an
/// optional <c>default_filter_chain</c>.
/// </summary>
internal static class ListenerBinder
{
    private const string TcpProxyExample =
        "filter_chains: [{filters: [{name: envoy.filters.network.tcp_proxy, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: <name>, cluster: <cluster>}}]}]";

    public static ListenerConfig? Bind(BindContext ctx, MessageReader m)
    {
        var errorsBefore = ctx.ErrorCount;
        var nameField = m.Find("name");
        var name = ProtoValues.String(ctx, nameField);
        var addressField = m.Find("address");
        var address = AddressBinder.Bind(ctx, addressField, AddressUse.Listener);
        if (!addressField.HasValue)
        {
            m.Missing("address", "write address: {socket_address: {address: 0.0.0.0, port_value: 6443}}");
        }

        var statPrefix = m.String("stat_prefix");
        var accessLog = AccessLogBinder.BindList(ctx, m.Find("access_log"));
        var backlogField = m.Find("tcp_backlog_size");
        var backlog = ProtoValues.UInt32(ctx, backlogField, wrapper: true);
        var bindToPortField = m.Find("bind_to_port");
        if (ProtoValues.Bool(ctx, bindToPortField, wrapper: true) == false)
        {
            ctx.Error(bindToPortField.Line, bindToPortField.Path, "kubegate listeners always bind their port", "remove bind_to_port: false");
        }

        var tlsInspector = BindListenerFilters(ctx, m.Find("listener_filters"));
        var timeout = m.Duration("listener_filters_timeout");
        var continueOnTimeout = m.Bool("continue_on_listener_filters_timeout") ?? false;
        var maxPerClient = BindKubegateMetadata(ctx, m.Find("metadata"));
        var listenerName = string.IsNullOrEmpty(name) ? null : name;
        var defaultField = m.Find("default_filter_chain");
        FilterChainConfig? defaultChain = null;
        if (MessageReader.Open(ctx, defaultField, ProtoTypes.FilterChain) is { } defaultReader)
        {
            defaultChain = BindFilterChain(ctx, defaultReader, listenerName, isDefault: true);
        }

        var chainsField = m.Find("filter_chains");
        var chains = BindFilterChains(ctx, chainsField, m, listenerName, defaultField.HasValue);
        CheckOverlaps(ctx, chainsField.Path, chains);
        if (!tlsInspector && chains.FirstOrDefault(c => c.Match.NeedsTlsInspector) is { } needsInspector)
        {
            ctx.Warning(
                needsInspector.Location.Line,
                chainsField.Path,
                $"a filter chain matches on {needsInspector.Match} but the listener has no tls_inspector: the SNI and ALPN stay unknown and Envoy never selects that chain by them",
                "add listener_filters: [{name: envoy.filters.listener.tls_inspector, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector}}]");
        }

        m.Finish();

        var first = chains.IsEmpty ? defaultChain : chains[0];
        if (address is null || first is null || ctx.ErrorCount != errorsBefore)
        {
            return null;
        }

        var tcpProxy = first.TcpProxy;

        if (string.IsNullOrEmpty(name))
        {
            // Envoy invents a UUID; kubegate uses the address so that /listeners and logs stay readable.
            name = address.ToString();
            ctx.Warning(
                nameField.Line,
                nameField.Path,
                $"the listener has no name; kubegate calls it '{name}'",
                "add a stable name: LDS updates identify listeners by name");
        }

        return new ListenerConfig
        {
            Name = name,
            Address = address,
            StatPrefix = string.IsNullOrEmpty(statPrefix) ? null : statPrefix,
            TcpProxy = tcpProxy,
            FilterChains = chains,
            DefaultFilterChain = defaultChain,
            TlsInspector = tlsInspector,
            ListenerFiltersTimeout = timeout ?? ListenerConfig.DefaultListenerFiltersTimeout,
            ContinueOnListenerFiltersTimeout = continueOnTimeout,
            MaxConnectionsPerClient = maxPerClient,
            AccessLog = accessLog,
            TcpBacklogSize = backlog is null ? null : (int)Math.Min(backlog.Value, int.MaxValue),
            Location = ctx.Location(m.Line),
        };
    }

    private static EquatableArray<FilterChainConfig> BindFilterChains(BindContext ctx, Field field, MessageReader listener, string? listenerName, bool hasDefault)
    {
        var chains = ProtoValues.List(ctx, field);
        if (chains.IsEmpty && !hasDefault)
        {
            if (!field.HasValue || field.Node is Yaml.ConfigSequence)
            {
                ctx.Error(
                    field.HasValue ? field.Line : listener.Line,
                    field.Path,
                    "this listener has no filter chain: kubegate needs at least one holding an envoy.filters.network.tcp_proxy filter (or a default_filter_chain)",
                    "add " + TcpProxyExample);
            }

            return EquatableArray<FilterChainConfig>.Empty;
        }

        var builder = System.Collections.Immutable.ImmutableArray.CreateBuilder<FilterChainConfig>(chains.Length);
        var failed = false;
        foreach (var element in chains)
        {
            var chain = MessageReader.Open(ctx, element.Node, element.Path, ProtoTypes.FilterChain, element.Line);
            var bound = chain is null ? null : BindFilterChain(ctx, chain, listenerName, isDefault: false);
            if (bound is null)
            {
                failed = true;
            }
            else
            {
                builder.Add(bound);
            }
        }

        return failed ? EquatableArray<FilterChainConfig>.Empty : builder.ToImmutable();
    }

    /// <summary>One filter chain: its match, the network filters before tcp_proxy, and the tcp_proxy (last, exactly one).</summary>
    private static FilterChainConfig? BindFilterChain(BindContext ctx, MessageReader chain, string? listenerName, bool isDefault)
    {
        var errorsBefore = ctx.ErrorCount;
        var name = chain.String("name");
        _ = chain.Find("metadata");
        var matchField = chain.Find("filter_chain_match");
        var match = FilterChainMatchConfig.Any;
        if (matchField.HasValue)
        {
            if (isDefault)
            {
                ctx.Error(matchField.Line, matchField.Path, "default_filter_chain is used when no other chain matches; it has no filter_chain_match", "remove filter_chain_match from default_filter_chain");
            }
            else if (MessageReader.Open(ctx, matchField, ProtoTypes.FilterChainMatch) is { } matchReader)
            {
                match = BindMatch(ctx, matchReader);
            }
        }

        var filtersField = chain.Find("filters");
        var filters = ProtoValues.List(ctx, filtersField);
        var network = System.Collections.Immutable.ImmutableArray.CreateBuilder<NetworkFilterConfig>();
        TcpProxyConfig? tcpProxy = null;
        var tcpProxyCount = 0;
        var sniCluster = false;
        if (filters.IsEmpty)
        {
            ctx.Error(
                filtersField.HasValue ? filtersField.Line : chain.Line,
                filtersField.Path,
                "this filter chain has no filters; it must end with envoy.filters.network.tcp_proxy",
                "add filters: [{name: envoy.filters.network.tcp_proxy, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: <name>, cluster: <cluster>}}]");
        }

        for (var i = 0; i < filters.Length; i++)
        {
            var element = filters[i];
            var filter = MessageReader.Open(ctx, element.Node, element.Path, ProtoTypes.Filter, element.Line);
            if (filter is null)
            {
                continue;
            }

            var filterName = filter.String("name");
            var typedConfig = filter.Find("typed_config");
            if (!typedConfig.HasValue)
            {
                filter.Missing(
                    "typed_config",
                    "write typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: <name>, cluster: <cluster>}",
                    $"the filter '{filterName ?? "unnamed"}' needs a typed_config naming its type");
            }
            else if (MessageReader.OpenAny(ctx, typedConfig, ProtoTypes.TcpProxy) is { } any)
            {
                var last = i == filters.Length - 1;
                if (any.Is(ProtoTypes.TcpProxy))
                {
                    tcpProxyCount++;
                    var proxy = TcpProxyBinder.Bind(ctx, any.Body, listenerName);
                    tcpProxy ??= proxy;
                    if (!last)
                    {
                        ctx.Error(element.Line, element.Path, "envoy.filters.network.tcp_proxy is a terminal filter: it must be the last filter of its chain", "move the tcp_proxy filter to the end of filters");
                    }
                }
                else if (any.Is(ProtoTypes.SniCluster))
                {
                    sniCluster = true;
                    any.Body.Finish();
                }
                else if (NetworkFilterBinder.Bind(ctx, any) is { } bound)
                {
                    network.Add(bound);
                }
                else if (!NetworkFilterBinder.IsKnown(any))
                {
                    ctx.Error(
                        any.TypeLine,
                        MessageReader.Child(typedConfig.Path, "@type"),
                        $"kubegate does not implement the network filter '{filterName ?? "unnamed"}' ({any.MessageName})",
                        $"write \"@type\": {ProtoTypes.Url(ProtoTypes.TcpProxy)} (kubegate is a TCP passthrough proxy; before the tcp_proxy it also runs envoy.filters.network.rbac, connection_limit, local_ratelimit and sni_cluster)");
                }
            }

            filter.Finish();
        }

        if (tcpProxyCount == 0 && !filters.IsEmpty)
        {
            ctx.Error(filtersField.Line, filtersField.Path, "this filter chain has no envoy.filters.network.tcp_proxy filter; kubegate proxies TCP and needs one as the last filter", "add " + TcpProxyExample);
        }
        else if (tcpProxyCount > 1)
        {
            ctx.Error(filtersField.Line, filtersField.Path, $"this filter chain has {tcpProxyCount} tcp_proxy filters; a chain has one, at the end", "keep one tcp_proxy filter per chain");
        }

        chain.Finish();
        if (tcpProxy is null || ctx.ErrorCount != errorsBefore)
        {
            return null;
        }

        return new FilterChainConfig
        {
            Name = string.IsNullOrEmpty(name) ? null : name,
            Match = match,
            Filters = network.ToImmutable(),
            TcpProxy = tcpProxy,
            SniCluster = sniCluster,
            Location = ctx.Location(chain.Line),
        };
    }

    private static FilterChainMatchConfig BindMatch(BindContext ctx, MessageReader m)
    {
        var portField = m.Find("destination_port");
        var port = ProtoValues.UInt32(ctx, portField, wrapper: true);
        if (port is 0 or > 65535)
        {
            ctx.Error(portField.Line, portField.Path, $"destination_port must be 1..65535, found {port}", "write the port clients connect to, or remove destination_port");
        }

        var serverNamesField = m.Find("server_names");
        var serverNames = ProtoValues.StringList(ctx, serverNamesField);
        for (var i = 0; i < serverNames.Length; i++)
        {
            var serverName = serverNames[i];
            var path = $"{serverNamesField.Path}[{i}]";
            if (serverName.Length == 0)
            {
                ctx.Error(serverNamesField.Line, path, "a server name must not be empty", "remove the empty entry (a chain without server_names matches any name)");
            }
            else if (serverName.Contains('*', StringComparison.Ordinal) && !(serverName.StartsWith("*.", StringComparison.Ordinal) && serverName.IndexOf('*', 1) < 0 && serverName.Length > 2))
            {
                // Envoy: "partial wildcards are not supported in server_names".
                ctx.Error(serverNamesField.Line, path, $"'{serverName}': partial wildcards are not supported in server_names (as in Envoy)", "write an exact name or a wildcard of the form *.example.com");
            }
        }

        var transportField = m.Find("transport_protocol");
        var transport = ProtoValues.String(ctx, transportField) ?? string.Empty;
        if (transport.Length > 0 && transport is not ("tls" or "raw_buffer"))
        {
            ctx.Warning(transportField.Line, transportField.Path, $"transport_protocol '{transport}' is never detected by tls_inspector, so this chain never matches", "write tls or raw_buffer");
        }

        var alpn = ProtoValues.StringList(ctx, m.Find("application_protocols"));
        m.Finish();
        return new FilterChainMatchConfig
        {
            DestinationPort = port is > 0 and <= 65535 ? (int)port.Value : null,
            ServerNames = serverNames,
            TransportProtocol = transport,
            ApplicationProtocols = alpn,
        };
    }

    /// <summary>
    /// Envoy refuses a listener in which two filter chains match the same connections ("multiple filter chains with
    /// the same matching rules are defined"): the same port, server name, transport protocol and application protocol.
    /// </summary>
    private static void CheckOverlaps(BindContext ctx, string chainsPath, EquatableArray<FilterChainConfig> chains)
    {
        var owners = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < chains.Length; i++)
        {
            var match = chains[i].Match;
            var names = match.ServerNames.IsEmpty ? [string.Empty] : match.ServerNames.AsImmutableArray();
            var protocols = match.ApplicationProtocols.IsEmpty ? [string.Empty] : match.ApplicationProtocols.AsImmutableArray();
            var reported = false;
            foreach (var name in names)
            {
                foreach (var protocol in protocols)
                {
                    var key = $"{match.DestinationPort}|{name}|{match.TransportProtocol}|{protocol}";
                    if (owners.TryAdd(key, i) || reported || owners[key] == i)
                    {
                        continue;
                    }

                    reported = true;
                    var first = chains[owners[key]];
                    ctx.Error(
                        chains[i].Location.Line,
                        $"{chainsPath}[{i}].filter_chain_match",
                        $"filter chains {chainsPath}[{owners[key]}] ({first.Location}) and {chainsPath}[{i}] ({chains[i].Location}) match the same connections ({Describe(match.DestinationPort, name, match.TransportProtocol, protocol)}); Envoy refuses this listener (multiple filter chains with the same matching rules)",
                        "make each chain's filter_chain_match distinct, e.g. different server_names, or merge the two chains");
                }
            }
        }
    }

    private static string Describe(int? port, string serverName, string transport, string protocol)
    {
        var parts = new List<string>();
        if (port is not null)
        {
            parts.Add($"destination_port {port}");
        }

        parts.Add(serverName.Length > 0 ? $"server name {serverName}" : "any server name");
        if (transport.Length > 0)
        {
            parts.Add($"transport {transport}");
        }

        if (protocol.Length > 0)
        {
            parts.Add($"ALPN {protocol}");
        }

        return string.Join(", ", parts);
    }

    /// <summary>The listener's <c>metadata.filter_metadata.kubegate</c>: the per-client connection cap.</summary>
    private static long? BindKubegateMetadata(BindContext ctx, Field field)
    {
        var kubegate = KubegateMetadata.Open(ctx, field, ProtoTypes.KubegateListenerMetadata);
        if (kubegate is null)
        {
            return null;
        }

        var capField = kubegate.Find("max_connections_per_client");
        var cap = ProtoValues.Int64(ctx, capField);
        kubegate.Finish();
        if (cap is < 1)
        {
            ctx.Error(capField.Line, capField.Path, "max_connections_per_client must be at least 1", "write the number of open connections one client address may hold, or remove the key");
            return null;
        }

        return cap;
    }

    private static bool BindListenerFilters(BindContext ctx, Field field)
    {
        var tlsInspector = false;
        foreach (var element in ProtoValues.List(ctx, field))
        {
            var filter = MessageReader.Open(ctx, element.Node, element.Path, ProtoTypes.ListenerFilter, element.Line);
            if (filter is null)
            {
                continue;
            }

            var name = filter.String("name");
            var typedConfig = filter.Find("typed_config");
            var isTlsInspector = typedConfig.HasValue
                ? MessageReader.OpenAny(ctx, typedConfig, ProtoTypes.TlsInspector) is { } any && any.Is(ProtoTypes.TlsInspector)
                : name is "envoy.filters.listener.tls_inspector" or "envoy.listener.tls_inspector";

            // tls_inspector's own options (enable_ja3_fingerprinting, initial_read_buffer_size, ...) change nothing a
            // TCP passthrough proxy reports, so they are not checked.
            if (!isTlsInspector)
            {
                ctx.Error(
                    element.Line,
                    element.Path,
                    $"kubegate supports only the tls_inspector listener filter; found '{name ?? "unnamed"}'",
                    "remove this listener filter");
            }

            tlsInspector |= isTlsInspector;
            filter.Finish();
        }

        return tlsInspector;
    }
}
