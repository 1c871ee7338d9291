namespace Kubegate.Configuration.Binding;

/// <summary>Full names of the Envoy v3 messages kubegate reads, and helpers for <c>type.googleapis.com/…</c> URLs.</summary>
internal static class ProtoTypes
{
    public const string UrlPrefix = "type.googleapis.com/";

    public const string Bootstrap = "envoy.config.bootstrap.v3.Bootstrap";
    public const string Node = "envoy.config.core.v3.Node";
    public const string StaticResources = "envoy.config.bootstrap.v3.Bootstrap.StaticResources";
    public const string DynamicResources = "envoy.config.bootstrap.v3.Bootstrap.DynamicResources";
    public const string Admin = "envoy.config.bootstrap.v3.Admin";
    public const string ConfigSource = "envoy.config.core.v3.ConfigSource";
    public const string PathConfigSource = "envoy.config.core.v3.PathConfigSource";
    public const string WatchedDirectory = "envoy.config.core.v3.WatchedDirectory";
    public const string DiscoveryResponse = "envoy.service.discovery.v3.DiscoveryResponse";

    public const string Listener = "envoy.config.listener.v3.Listener";
    public const string FilterChain = "envoy.config.listener.v3.FilterChain";
    public const string FilterChainMatch = "envoy.config.listener.v3.FilterChainMatch";
    public const string Filter = "envoy.config.listener.v3.Filter";
    public const string ListenerFilter = "envoy.config.listener.v3.ListenerFilter";
    public const string TlsInspector = "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector";
    public const string TcpProxy = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";
    public const string WeightedCluster = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster";
    public const string ClusterWeight = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster.ClusterWeight";
    public const string TcpAccessLogOptions = "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.TcpAccessLogOptions";
    public const string SniCluster = "envoy.extensions.filters.network.sni_cluster.v3.SniCluster";
    public const string ConnectionLimit = "envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit";
    public const string LocalRateLimit = "envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit";
    public const string TokenBucket = "envoy.type.v3.TokenBucket";
    public const string NetworkRbac = "envoy.extensions.filters.network.rbac.v3.RBAC";
    public const string RbacRules = "envoy.config.rbac.v3.RBAC";
    public const string RbacPolicy = "envoy.config.rbac.v3.Policy";
    public const string RbacPermission = "envoy.config.rbac.v3.Permission";
    public const string RbacPermissionSet = "envoy.config.rbac.v3.Permission.Set";
    public const string RbacPrincipal = "envoy.config.rbac.v3.Principal";
    public const string RbacPrincipalSet = "envoy.config.rbac.v3.Principal.Set";
    public const string CidrRange = "envoy.config.core.v3.CidrRange";
    public const string Metadata = "envoy.config.core.v3.Metadata";

    /// <summary>kubegate's own keys under <c>metadata.filter_metadata.kubegate</c> of a Listener.</summary>
    public const string KubegateListenerMetadata = "kubegate.ListenerMetadata";

    public const string AccessLog = "envoy.config.accesslog.v3.AccessLog";
    public const string FileAccessLog = "envoy.extensions.access_loggers.file.v3.FileAccessLog";
    public const string StdoutAccessLog = "envoy.extensions.access_loggers.stream.v3.StdoutAccessLog";
    public const string StderrAccessLog = "envoy.extensions.access_loggers.stream.v3.StderrAccessLog";
    public const string SubstitutionFormatString = "envoy.config.core.v3.SubstitutionFormatString";
    public const string DataSource = "envoy.config.core.v3.DataSource";

    public const string Address = "envoy.config.core.v3.Address";
    public const string SocketAddress = "envoy.config.core.v3.SocketAddress";

    public const string Cluster = "envoy.config.cluster.v3.Cluster";
    public const string EdsClusterConfig = "envoy.config.cluster.v3.Cluster.EdsClusterConfig";
    public const string LeastRequestLbConfig = "envoy.config.cluster.v3.Cluster.LeastRequestLbConfig";
    public const string CommonLbConfig = "envoy.config.cluster.v3.Cluster.CommonLbConfig";
    public const string RoundRobinLbConfig = "envoy.config.cluster.v3.Cluster.RoundRobinLbConfig";
    public const string SlowStartConfig = "envoy.config.cluster.v3.Cluster.SlowStartConfig";

    /// <summary>Not an Envoy message: the cluster's <c>metadata.filter_metadata.kubegate</c> struct (kubegate's knobs).</summary>
    public const string KubegateClusterMetadata = "kubegate.ClusterMetadata";

    /// <summary>Not an Envoy message: <c>filter_metadata.kubegate.rebalance</c>.</summary>
    public const string KubegateRebalance = "kubegate.Rebalance";
    public const string TransportSocketMatch = "envoy.config.cluster.v3.Cluster.TransportSocketMatch";
    public const string CircuitBreakers = "envoy.config.cluster.v3.CircuitBreakers";
    public const string Thresholds = "envoy.config.cluster.v3.CircuitBreakers.Thresholds";
    public const string OutlierDetection = "envoy.config.cluster.v3.OutlierDetection";
    public const string UpstreamConnectionOptions = "envoy.config.cluster.v3.UpstreamConnectionOptions";
    public const string TcpKeepalive = "envoy.config.core.v3.TcpKeepalive";
    public const string RuntimeDouble = "envoy.config.core.v3.RuntimeDouble";
    public const string Percent = "envoy.type.v3.Percent";

    public const string HealthCheck = "envoy.config.core.v3.HealthCheck";
    public const string HttpHealthCheck = "envoy.config.core.v3.HealthCheck.HttpHealthCheck";
    public const string TcpHealthCheck = "envoy.config.core.v3.HealthCheck.TcpHealthCheck";
    public const string Payload = "envoy.config.core.v3.HealthCheck.Payload";
    public const string TlsOptions = "envoy.config.core.v3.HealthCheck.TlsOptions";
    public const string Int64Range = "envoy.type.v3.Int64Range";
    public const string HeaderValueOption = "envoy.config.core.v3.HeaderValueOption";
    public const string HeaderValue = "envoy.config.core.v3.HeaderValue";

    public const string TransportSocket = "envoy.config.core.v3.TransportSocket";
    public const string UpstreamTlsContext = "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";
    public const string RawBuffer = "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer";
    public const string CommonTlsContext = "envoy.extensions.transport_sockets.tls.v3.CommonTlsContext";
    public const string CertificateValidationContext = "envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext";
    public const string TlsCertificate = "envoy.extensions.transport_sockets.tls.v3.TlsCertificate";
    public const string SubjectAltNameMatcher = "envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher";
    public const string StringMatcher = "envoy.type.matcher.v3.StringMatcher";

    public const string ClusterLoadAssignment = "envoy.config.endpoint.v3.ClusterLoadAssignment";
    public const string ClusterLoadAssignmentPolicy = "envoy.config.endpoint.v3.ClusterLoadAssignment.Policy";
    public const string LocalityLbEndpoints = "envoy.config.endpoint.v3.LocalityLbEndpoints";
    public const string LbEndpoint = "envoy.config.endpoint.v3.LbEndpoint";
    public const string Endpoint = "envoy.config.endpoint.v3.Endpoint";
    public const string EndpointHealthCheckConfig = "envoy.config.endpoint.v3.Endpoint.HealthCheckConfig";

    public static string Url(string typeName) => UrlPrefix + typeName;

    /// <summary>The message name of a type URL: everything after the last '/', as Envoy resolves it.</summary>
    public static string MessageName(string typeUrl)
    {
        var slash = typeUrl.LastIndexOf('/');
        return slash >= 0 ? typeUrl[(slash + 1)..] : typeUrl;
    }
}
