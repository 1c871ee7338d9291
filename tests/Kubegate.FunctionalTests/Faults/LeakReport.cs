namespace Kubegate.FunctionalTests.Faults;

/// <summary>What kubegate still holds after a fault ended and every client closed; all zero when nothing leaked.</summary>
internal sealed record LeakReport(long DownstreamActive, long UpstreamActive, int ExtraSockets)
{
    public bool None => DownstreamActive == 0 && UpstreamActive == 0 && ExtraSockets == 0;

    public override string ToString() =>
        None ? "0 leaked" : $"{DownstreamActive} downstream + {UpstreamActive} upstream connections active, {ExtraSockets} sockets over baseline";
}
