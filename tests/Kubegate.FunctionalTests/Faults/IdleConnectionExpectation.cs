namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// How kubegate must end a connection to A that sits idle (a watch) when A's peer vanishes without a FIN or reset.
/// </summary>
/// <param name="After">How long after the connection's last byte kubegate ends it (the timeout that fires).</param>
/// <param name="ClientSees">"FIN" (a clean end) or "reset (…)", as the client's socket reports it.</param>
/// <param name="TerminationDetails">The access log's <c>%CONNECTION_TERMINATION_DETAILS%</c> for it ("-" for none).</param>
/// <param name="IdleTimeouts">The listener's <c>tcp.l.idle_timeout</c> counter afterwards.</param>
internal sealed record IdleConnectionExpectation(TimeSpan After, string ClientSees, string TerminationDetails, long IdleTimeouts);
