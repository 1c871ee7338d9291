using System.Collections.Immutable;
using System.Globalization;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// Binds a <c>ClusterLoadAssignment</c> (EDS file content or a STATIC cluster's <c>load_assignment</c>, spec 1.7):
/// IP-literal endpoints, flattened over localities; duplicates keep the first, as in Envoy.
/// </summary>
internal static class EndpointBinder
{
    /// <param name="expectedClusterName">For EDS: the <c>cluster_name</c> the file must carry; null for inline assignments.</param>
    public static ClusterLoadAssignmentConfig? Bind(BindContext ctx, MessageReader m, string? expectedClusterName)
    {
        var errorsBefore = ctx.ErrorCount;
        var nameField = m.Find("cluster_name");
        var clusterName = ProtoValues.String(ctx, nameField);
        if (clusterName is null)
        {
            if (!nameField.HasValue)
            {
                m.Missing("cluster_name", $"write cluster_name: {expectedClusterName ?? "<cluster name>"}");
            }
        }
        else if (clusterName.Length == 0)
        {
            ctx.Error(nameField.Line, nameField.Path, "cluster_name must not be empty", $"write cluster_name: {expectedClusterName ?? "<cluster name>"}");
        }
        else if (expectedClusterName is not null && !string.Equals(clusterName, expectedClusterName, StringComparison.Ordinal))
        {
            ctx.Error(
                nameField.Line,
                nameField.Path,
                $"Unexpected EDS cluster (expecting {expectedClusterName}): {clusterName}",
                $"write cluster_name: {expectedClusterName} (the cluster's eds_cluster_config.service_name, or else its name)");
        }

        m.Message("policy", ProtoTypes.ClusterLoadAssignmentPolicy)?.Finish();

        var endpoints = ImmutableArray.CreateBuilder<LbEndpointConfig>();
        var seen = new Dictionary<SocketAddressConfig, string>();
        foreach (var localityElement in m.List("endpoints"))
        {
            var locality = m.Message(localityElement, ProtoTypes.LocalityLbEndpoints);
            if (locality is null)
            {
                continue;
            }

            var priorityField = locality.Find("priority");
            var priority = ProtoValues.UInt32(ctx, priorityField, wrapper: false) ?? 0;
            if (priority > 128)
            {
                ctx.Error(priorityField.Line, priorityField.Path, "priority must be at most 128");
            }

            foreach (var element in locality.List("lb_endpoints"))
            {
                var lbEndpoint = locality.Message(element, ProtoTypes.LbEndpoint);
                if (lbEndpoint is null)
                {
                    continue;
                }

                var endpoint = BindLbEndpoint(ctx, lbEndpoint, (int)priority);
                if (endpoint is null)
                {
                    continue;
                }

                if (seen.TryGetValue(endpoint.Address, out var firstPath))
                {
                    ctx.Warning(
                        element.Line,
                        element.Path,
                        $"duplicate endpoint {endpoint.Address}: only the first ({firstPath}) is used, as in Envoy",
                        "remove the duplicate");
                    continue;
                }

                seen.Add(endpoint.Address, element.Path);
                endpoints.Add(endpoint);
            }

            locality.Finish();
        }

        m.Finish();
        return clusterName is { Length: > 0 } && ctx.ErrorCount == errorsBefore
            ? new ClusterLoadAssignmentConfig { ClusterName = clusterName, Endpoints = endpoints.ToImmutable(), Location = ctx.Location(m.Line) }
            : null;
    }

    private static LbEndpointConfig? BindLbEndpoint(BindContext ctx, MessageReader m, int priority)
    {
        var endpointField = m.Find("endpoint");
        var statusField = m.Find("health_status");
        var status = ProtoValues.Enum(ctx, statusField, ProtoEnum.HealthStatus) ?? 0;
        var weightField = m.Find("load_balancing_weight");
        var weight = ProtoValues.UInt32(ctx, weightField, wrapper: true);
        if (weight == 0)
        {
            ctx.Error(weightField.Line, weightField.Path, "load_balancing_weight must be at least 1", "write load_balancing_weight: 1 (or leave it out)");
        }

        SocketAddressConfig? address = null;
        string? hostname = null;
        int? healthCheckPort = null;
        string? healthCheckHostname = null;
        var disableActiveHealthCheck = false;
        var endpoint = MessageReader.Open(ctx, endpointField, ProtoTypes.Endpoint);
        if (endpoint is null)
        {
            if (!endpointField.HasValue && !m.IsWritten("endpoint_name"))
            {
                m.Missing("endpoint", "write endpoint: {address: {socket_address: {address: <ip>, port_value: 6443}}}");
            }
        }
        else
        {
            var addressField = endpoint.Find("address");
            address = AddressBinder.Bind(ctx, addressField, AddressUse.Endpoint);
            if (!addressField.HasValue)
            {
                endpoint.Missing("address", "write address: {socket_address: {address: <ip>, port_value: 6443}}");
            }

            hostname = endpoint.String("hostname");
            var healthCheckConfig = endpoint.Message("health_check_config", ProtoTypes.EndpointHealthCheckConfig);
            if (healthCheckConfig is not null)
            {
                var portField = healthCheckConfig.Find("port_value");
                var port = ProtoValues.UInt32(ctx, portField, wrapper: false);
                if (port > 65535)
                {
                    ctx.Error(portField.Line, portField.Path, string.Create(CultureInfo.InvariantCulture, $"port_value must be at most 65535, found {port}"));
                }
                else if (port > 0)
                {
                    healthCheckPort = (int)port;
                }

                healthCheckHostname = healthCheckConfig.String("hostname");
                disableActiveHealthCheck = healthCheckConfig.Bool("disable_active_health_check") ?? false;
                healthCheckConfig.Finish();
            }

            endpoint.Finish();
        }

        m.Finish();
        if (address is null || weight == 0)
        {
            return null;
        }

        return new LbEndpointConfig
        {
            Address = address,
            Weight = weight ?? 1,
            HealthStatus = (EndpointHealthStatus)status,
            Priority = priority,
            Hostname = string.IsNullOrEmpty(hostname) ? null : hostname,
            HealthCheckPort = healthCheckPort,
            HealthCheckHostname = string.IsNullOrEmpty(healthCheckHostname) ? null : healthCheckHostname,
            DisableActiveHealthCheck = disableActiveHealthCheck,
            Location = ctx.Location(m.Line),
        };
    }
}
