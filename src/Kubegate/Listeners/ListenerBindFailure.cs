namespace Kubegate.Listeners;

/// <summary>A listener that could not be bound while applying a configuration (start-up or reload).</summary>
/// <param name="Name">The listener's name.</param>
/// <param name="Address">The address it asked for.</param>
/// <param name="Message">The socket error.</param>
internal sealed record ListenerBindFailure(string Name, string Address, string Message)
{
    /// <summary>Envoy's wording for a listener an LDS update could not add: <c>cannot bind '…': …</c>.</summary>
    public override string ToString() => $"cannot bind '{Address}': {Message}";
}
