using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy.Reactors;

internal sealed partial class Reactor
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.ReactorWaitFailed, LogLevel.Error, "reactor {Reactor}: waiting on {EventInterface} failed with errno {Errno}", EventName = "ReactorWaitFailed")]
        public static partial void WaitFailed(ILogger logger, int reactor, string eventInterface, int errno);

        [LoggerMessage(EventIds.ReactorStartFailed, LogLevel.Error, "reactor {Reactor}: {EventInterface} could not start (errno {Errno})", EventName = "ReactorStartFailed")]
        public static partial void StartFailed(ILogger logger, int reactor, string eventInterface, int errno);

        [LoggerMessage(EventIds.ReactorHandlerFailed, LogLevel.Error, "reactor {Reactor}: a connection handler failed; the connection is reset", EventName = "ReactorHandlerFailed")]
        public static partial void HandlerFailed(ILogger logger, int reactor, Exception exception);

        [LoggerMessage(EventIds.ReactorLoopFailed, LogLevel.Error, "reactor {Reactor}: the event loop failed; it goes on", EventName = "ReactorLoopFailed")]
        public static partial void LoopFailed(ILogger logger, int reactor, Exception exception);
    }
}
