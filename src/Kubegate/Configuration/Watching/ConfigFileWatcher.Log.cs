using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Configuration.Watching;

internal sealed partial class ConfigFileWatcher
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.ConfigWatching, LogLevel.Debug, "watching directory {Directory} for configuration changes", EventName = "ConfigWatching")]
        public static partial void Watching(ILogger logger, string directory);

        [LoggerMessage(EventIds.ConfigWatchFailed, LogLevel.Warning, "cannot watch directory {Directory}: {Message}; changes there are picked up only on SIGHUP", EventName = "ConfigWatchFailed")]
        public static partial void WatchFailed(ILogger logger, string directory, string message);

        [LoggerMessage(EventIds.ConfigWatchOverflow, LogLevel.Warning, "watch on directory {Directory} failed or lost events ({Message}): re-reading its files", EventName = "ConfigWatchOverflow")]
        public static partial void WatchOverflow(ILogger logger, string directory, string message);
    }
}
