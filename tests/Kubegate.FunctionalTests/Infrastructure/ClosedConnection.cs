using Kubegate.AccessLog;
using Kubegate.Clusters;
using Kubegate.Proxy;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>What a proxied connection ended with, copied when it closed.</summary>
internal sealed record ClosedConnection(
    long Id,
    ResponseFlags ResponseFlags,
    EndpointState? UpstreamHost,
    int ConnectAttempts,
    string? UpstreamFailureReason,
    long BytesReceived,
    long BytesSent);
