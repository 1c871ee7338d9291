namespace Kubegate.Proxy;

/// <summary>Why kubegate closes a connection gently (FIN at a quiet moment) to move it to another host.</summary>
internal enum GentleClose
{
    /// <summary>Its host holds more than its share of the cluster's connections (<c>rebalance</c>).</summary>
    Rebalance,

    /// <summary>An operator disabled its host.</summary>
    EndpointDisabled,

    /// <summary>It reached its (jittered) <c>max_connection_age</c>.</summary>
    MaxConnectionAge,
}
