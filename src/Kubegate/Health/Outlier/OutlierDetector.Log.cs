using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Health.Outlier;

internal sealed partial class OutlierDetector
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.OutlierHostEjected, LogLevel.Warning, "cluster {Cluster}: host {Host} ejected by outlier detection ({Type}) for {Seconds} s (ejection {Count})", EventName = "OutlierHostEjected")]
        public static partial void HostEjected(ILogger logger, string cluster, string host, string type, double seconds, int count);

        [LoggerMessage(EventIds.OutlierHostUnejected, LogLevel.Information, "cluster {Cluster}: host {Host} back in rotation: {Reason}", EventName = "OutlierHostUnejected")]
        public static partial void HostUnejected(ILogger logger, string cluster, string host, string reason);

        [LoggerMessage(EventIds.OutlierEjectionOverflow, LogLevel.Debug, "cluster {Cluster}: host {Host} not ejected ({Type}): {Ejected} of {Hosts} host(s) already ejected and max_ejection_percent is {MaxPercent}", EventName = "OutlierEjectionOverflow")]
        public static partial void EjectionOverflow(ILogger logger, string cluster, string host, string type, int ejected, int hosts, uint maxPercent);

        [LoggerMessage(EventIds.OutlierEjectionNotEnforced, LogLevel.Debug, "cluster {Cluster}: host {Host} detected as outlier ({Type}) but not ejected (enforcing {Percent} %)", EventName = "OutlierEjectionNotEnforced")]
        public static partial void EjectionNotEnforced(ILogger logger, string cluster, string host, string type, uint percent);
    }
}
