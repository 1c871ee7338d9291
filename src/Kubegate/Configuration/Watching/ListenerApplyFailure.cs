namespace Kubegate.Configuration.Watching;

/// <summary>A listener of an applied snapshot that could not be bound.</summary>
/// <param name="Name">The listener's name.</param>
/// <param name="Reason">Envoy's wording, e.g. <c>cannot bind '0.0.0.0:6443': address in use</c>.</param>
internal sealed record ListenerApplyFailure(string Name, string Reason)
{
    public override string ToString() => Reason;
}
