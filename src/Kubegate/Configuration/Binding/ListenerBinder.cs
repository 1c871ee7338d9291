namespace Kubegate.Configuration.Binding;

/// <summary>
/// Binds <c>envoy.config.listener.v3.Listener</c> (spec 2.1): an address and exactly one filter chain holding exactly
/// one <c>envoy.filters.network.tcp_proxy</c> filter.
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

        BindListenerFilters(ctx, m.Find("listener_filters"));
        var tcpProxy = BindFilterChains(ctx, m.Find("filter_chains"), m, string.IsNullOrEmpty(name) ? null : name);
        m.Finish();

        if (address is null || tcpProxy is null || ctx.ErrorCount != errorsBefore)
        {
            return null;
        }

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
            AccessLog = accessLog,
            TcpBacklogSize = backlog is null ? null : (int)Math.Min(backlog.Value, int.MaxValue),
            Location = ctx.Location(m.Line),
        };
    }

    private static TcpProxyConfig? BindFilterChains(BindContext ctx, Field field, MessageReader listener, string? listenerName)
    {
        var chains = ProtoValues.List(ctx, field);
        if (chains.IsEmpty)
        {
            if (!field.HasValue || field.Node is Yaml.ConfigSequence)
            {
                ctx.Error(
                    field.HasValue ? field.Line : listener.Line,
                    field.Path,
                    "kubegate supports exactly one filter chain holding one envoy.filters.network.tcp_proxy filter; this listener has none",
                    "add " + TcpProxyExample);
            }

            return null;
        }

        if (chains.Length > 1)
        {
            ctx.Error(
                chains[1].Line,
                field.Path,
                $"kubegate supports exactly one filter chain per listener; this listener has {chains.Length}",
                "use one listener (one port) per cluster, each with a single filter chain");
        }

        var chain = MessageReader.Open(ctx, chains[0].Node, chains[0].Path, ProtoTypes.FilterChain, chains[0].Line);
        if (chain is null)
        {
            return null;
        }

        var matchField = chain.Find("filter_chain_match");
        if (matchField.HasValue && matchField.Node is not Yaml.ConfigMapping { Entries.IsEmpty: true })
        {
            ctx.Error(
                matchField.Line,
                matchField.Path,
                "kubegate supports exactly one filter chain per listener, without filter_chain_match",
                "remove filter_chain_match; use one listener (one port) per cluster");
        }

        var filtersField = chain.Find("filters");
        var filters = ProtoValues.List(ctx, filtersField);
        TcpProxyConfig? result = null;
        if (filters.IsEmpty)
        {
            ctx.Error(
                filtersField.HasValue ? filtersField.Line : chain.Line,
                filtersField.Path,
                "kubegate supports exactly one filter, envoy.filters.network.tcp_proxy; this filter chain has none",
                "add filters: [{name: envoy.filters.network.tcp_proxy, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: <name>, cluster: <cluster>}}]");
        }
        else if (filters.Length > 1)
        {
            ctx.Error(
                filters[1].Line,
                filtersField.Path,
                $"kubegate supports exactly one filter, envoy.filters.network.tcp_proxy; this filter chain has {filters.Length}",
                "keep only the tcp_proxy filter");
        }

        foreach (var element in filters)
        {
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
                    "the tcp_proxy filter needs a typed_config (stat_prefix and cluster are required)");
            }
            else if (MessageReader.OpenAny(ctx, typedConfig, ProtoTypes.TcpProxy) is { } any)
            {
                if (any.Is(ProtoTypes.TcpProxy))
                {
                    var proxy = TcpProxyBinder.Bind(ctx, any.Body, listenerName);
                    result ??= proxy;
                }
                else
                {
                    ctx.Error(
                        any.TypeLine,
                        MessageReader.Child(typedConfig.Path, "@type"),
                        $"kubegate supports only the envoy.filters.network.tcp_proxy filter; this filter ('{filterName ?? "unnamed"}') is {any.MessageName}",
                        $"write \"@type\": {ProtoTypes.Url(ProtoTypes.TcpProxy)} (kubegate is a TCP passthrough proxy)");
                }
            }

            filter.Finish();
        }

        chain.Finish();
        return result;
    }

    private static void BindListenerFilters(BindContext ctx, Field field)
    {
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

            // tls_inspector only feeds filter_chain_match (which kubegate does not have), so it is accepted and ignored;
            // its own options are not checked.
            if (!isTlsInspector)
            {
                ctx.Error(
                    element.Line,
                    element.Path,
                    $"kubegate supports only the tls_inspector listener filter (accepted and ignored); found '{name ?? "unnamed"}'",
                    "remove this listener filter");
            }

            filter.Finish();
        }
    }
}
