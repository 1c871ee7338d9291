namespace Kubegate.AccessLog;

/// <summary>Envoy's response flags that a TCP proxy can set (<c>%RESPONSE_FLAGS%</c>), in Envoy's print order.</summary>
[Flags]
internal enum ResponseFlags
{
    None = 0,

    /// <summary><c>UH</c>: no healthy upstream host.</summary>
    NoHealthyUpstream = 1 << 0,

    /// <summary><c>UF</c>: an upstream connect failed (refused, reset or timed out).</summary>
    UpstreamConnectionFailure = 1 << 1,

    /// <summary><c>UO</c>: the cluster's max_connections circuit breaker was full.</summary>
    UpstreamOverflow = 1 << 2,

    /// <summary><c>URX</c>: every allowed connect attempt failed.</summary>
    UpstreamRetryLimitExceeded = 1 << 3,

    /// <summary><c>NC</c>: the tcp_proxy's cluster does not exist.</summary>
    NoClusterFound = 1 << 4,

    /// <summary><c>DT</c>: max_downstream_connection_duration reached.</summary>
    DurationTimeout = 1 << 5,

    /// <summary>
    /// <c>RBL</c> (kubegate's, not Envoy's): kubegate closed the connection gently to move it (rebalancing, a
    /// disabled endpoint, <c>max_connection_age</c>); <c>%CONNECTION_TERMINATION_DETAILS%</c> says which.
    /// </summary>
    Rebalanced = 1 << 6,

    /// <summary><c>NR</c>: no filter chain matched the connection (Envoy's <c>NoRouteFound</c>).</summary>
    NoFilterChainFound = 1 << 7,
}
