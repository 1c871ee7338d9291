using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Listeners;

internal sealed partial class ProxyListener
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.ListenerStopped, LogLevel.Information, "listener {Listener} on {Address} stopped accepting", EventName = "ListenerStopped")]
        public static partial void ListenerStopped(ILogger logger, string listener, string address);

        [LoggerMessage(EventIds.AcceptFailed, LogLevel.Warning, "listener {Listener}: accept failed ({Error}): {Message}", EventName = "AcceptFailed")]
        public static partial void AcceptFailed(ILogger logger, string listener, string error, string message);
    }
}
