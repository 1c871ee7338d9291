namespace Kubegate.Clusters;

/// <summary>
/// What a proxied connection's upstream connect attempt came to: the only results a TCP proxy reports to outlier
/// detection (Envoy's local-origin <c>LocalOriginConnectSuccessFinal</c>, <c>LocalOriginConnectFailed</c>,
/// <c>LocalOriginTimeout</c>).
/// </summary>
internal enum UpstreamConnectResult
{
    Success,
    Failed,
    Timeout,
}
