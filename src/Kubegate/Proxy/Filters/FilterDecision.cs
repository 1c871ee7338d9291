namespace Kubegate.Proxy.Filters;

/// <summary>A network filter's answer for a new connection.</summary>
/// <param name="Admitted">False: the connection is closed (after <paramref name="CloseDelayMs"/>).</param>
/// <param name="CloseDelayMs">How long a refused connection is held before it closes (connection_limit's <c>delay</c>).</param>
/// <param name="TerminationDetails">What <c>%CONNECTION_TERMINATION_DETAILS%</c> says about a refusal.</param>
internal readonly record struct FilterDecision(bool Admitted, long CloseDelayMs = 0, string? TerminationDetails = null)
{
    public static FilterDecision Admit => new(true);
}
