namespace Kubegate.FunctionalTests.Faults;

/// <summary>One host's line set in <c>/clusters</c>: connections and health flags.</summary>
internal sealed record HostStatus(long CxActive, long CxTotal, long CxConnectFail, string HealthFlags)
{
    public bool Healthy => HealthFlags == "healthy";

    /// <summary>Connections kubegate made to the host that did connect (attempts minus failed connects).</summary>
    public long Established => CxTotal - CxConnectFail;
}
