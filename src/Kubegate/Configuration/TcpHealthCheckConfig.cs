namespace Kubegate.Configuration;

/// <summary><c>tcp_health_check</c>: connect-only when both lists are empty.</summary>
internal sealed record TcpHealthCheckConfig
{
    /// <summary>Bytes to send after connecting (decoded from hex <c>text</c> or base64 <c>binary</c>).</summary>
    public EquatableArray<byte> Send { get; init; } = EquatableArray<byte>.Empty;

    /// <summary>Blocks that must all appear, in order, in what the endpoint sends back.</summary>
    public EquatableArray<EquatableArray<byte>> Receive { get; init; } = EquatableArray<EquatableArray<byte>>.Empty;
}
