using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Configuration.Watching;

internal sealed partial class ConfigReloader
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.ConfigReloadCrashed, LogLevel.Error, "configuration reload failed unexpectedly; the last good configuration stays in force", EventName = "ConfigReloadCrashed")]
        public static partial void ReloadCrashed(ILogger logger, Exception exception);
    }
}
