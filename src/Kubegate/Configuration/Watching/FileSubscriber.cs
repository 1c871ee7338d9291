using Kubegate.Stats;

namespace Kubegate.Configuration.Watching;

/// <summary>One subscription fed by a file: its name in results and logs, and its stats.</summary>
/// <param name="Name"><c>lds</c>, <c>cds</c>, or <c>eds (cluster NAME)</c>.</param>
/// <param name="Stats">Its Envoy subscription stats.</param>
internal sealed record FileSubscriber(string Name, SubscriptionStats Stats);
