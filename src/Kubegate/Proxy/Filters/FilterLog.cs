using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy.Filters;

internal static partial class FilterLog
{
    [LoggerMessage(EventIds.ConnectionRefusedByFilter, LogLevel.Warning, "{Filter} closed a connection: {Reason} ({Suppressed} more refusal(s) since the last message)", EventName = "ConnectionRefusedByFilter")]
    public static partial void Refused(ILogger logger, string filter, string reason, long suppressed);
}
