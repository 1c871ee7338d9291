namespace Kubegate.Testing;

/// <summary>How <see cref="FakeApiServer"/> answers <c>/readyz</c>; switchable at runtime through <see cref="FakeApiServer.ReadyzMode"/>.</summary>
public enum ReadyzMode
{
    /// <summary>200 <c>ok</c>, as a healthy kube-apiserver.</summary>
    Ok,

    /// <summary>500 with kube's verbose failure text (<c>[-]etcd failed: reason withheld</c>), as while etcd is down.</summary>
    Fail500,

    /// <summary>
    /// Answers 200 <c>ok</c> only after <see cref="FakeApiServer.SlowReadyzDelay"/> (default 30 s, longer than any
    /// health-check timeout), or never if the client gives up first.
    /// </summary>
    Slow,

    /// <summary>Aborts the whole TCP connection (not only the HTTP/2 stream) without answering.</summary>
    CloseConnection,

    /// <summary>
    /// 503 with <c>[-]shutdown failed: reason withheld</c>, as kube-apiserver answers during
    /// <c>--shutdown-delay-duration</c>: it is going away but still serves every other request.
    /// </summary>
    ShuttingDown,
}
