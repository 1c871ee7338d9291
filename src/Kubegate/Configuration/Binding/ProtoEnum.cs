using System.Globalization;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Configuration.Binding;

/// <summary>A proto enum as the JSON parser sees it: names (case-insensitive, as Envoy parses them) and numbers.</summary>
internal sealed class ProtoEnum
{
    private readonly (string Name, int Number)[] _values;

    public ProtoEnum(string typeName, params (string Name, int Number)[] values)
    {
        TypeName = typeName;
        _values = values;
    }

    public string TypeName { get; }

    public string Names => string.Join(", ", _values.Select(v => v.Name));

    public string NameOf(int number) => _values.FirstOrDefault(v => v.Number == number).Name ?? number.ToString(CultureInfo.InvariantCulture);

    public bool TryParse(ConfigScalar scalar, out int number)
    {
        if (scalar.Kind == ScalarKind.Number)
        {
            if (int.TryParse(scalar.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
            {
                foreach (var value in _values)
                {
                    if (value.Number == number)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        foreach (var value in _values)
        {
            if (string.Equals(value.Name, scalar.Text, StringComparison.OrdinalIgnoreCase))
            {
                number = value.Number;
                return true;
            }
        }

        number = 0;
        return false;
    }

    public static readonly ProtoEnum DiscoveryType = new(
        "envoy.config.cluster.v3.Cluster.DiscoveryType",
        ("STATIC", 0), ("STRICT_DNS", 1), ("LOGICAL_DNS", 2), ("EDS", 3), ("ORIGINAL_DST", 4));

    public static readonly ProtoEnum LbPolicy = new(
        "envoy.config.cluster.v3.Cluster.LbPolicy",
        ("ROUND_ROBIN", 0), ("LEAST_REQUEST", 1), ("RING_HASH", 2), ("RANDOM", 3), ("MAGLEV", 5), ("CLUSTER_PROVIDED", 6),
        ("LOAD_BALANCING_POLICY_CONFIG", 7));

    public static readonly ProtoEnum HealthStatus = new(
        "envoy.config.core.v3.HealthStatus",
        ("UNKNOWN", 0), ("HEALTHY", 1), ("UNHEALTHY", 2), ("DRAINING", 3), ("TIMEOUT", 4), ("DEGRADED", 5));

    public static readonly ProtoEnum CodecClientType = new(
        "envoy.type.v3.CodecClientType", ("HTTP1", 0), ("HTTP2", 1), ("HTTP3", 2));

    public static readonly ProtoEnum RequestMethod = new(
        "envoy.config.core.v3.RequestMethod",
        ("METHOD_UNSPECIFIED", 0), ("GET", 1), ("HEAD", 2), ("POST", 3), ("PUT", 4), ("DELETE", 5), ("CONNECT", 6),
        ("OPTIONS", 7), ("TRACE", 8), ("PATCH", 9));

    public static readonly ProtoEnum ApiVersion = new("envoy.config.core.v3.ApiVersion", ("AUTO", 0), ("V2", 1), ("V3", 2));

    public static readonly ProtoEnum RoutingPriority = new("envoy.config.core.v3.RoutingPriority", ("DEFAULT", 0), ("HIGH", 1));

    public static readonly ProtoEnum SocketProtocol = new("envoy.config.core.v3.SocketAddress.Protocol", ("TCP", 0), ("UDP", 1));

    public static readonly ProtoEnum AppendAction = new(
        "envoy.config.core.v3.HeaderValueOption.HeaderAppendAction",
        ("APPEND_IF_EXISTS_OR_ADD", 0), ("ADD_IF_ABSENT", 1), ("OVERWRITE_IF_EXISTS_OR_ADD", 2), ("OVERWRITE_IF_EXISTS", 3));

    public static readonly ProtoEnum SanType = new(
        "envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher.SanType",
        ("SAN_TYPE_UNSPECIFIED", 0), ("EMAIL", 1), ("DNS", 2), ("URI", 3), ("IP_ADDRESS", 4), ("OTHER_NAME", 5));
}
