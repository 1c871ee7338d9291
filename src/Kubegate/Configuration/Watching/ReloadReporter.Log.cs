using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Configuration.Watching;

internal sealed partial class ReloadReporter
{
    private static partial class Log
    {
        [LoggerMessage(EventIds.ConfigUpdateAccepted, LogLevel.Information, "{Subscription} update accepted (version {Version}) from {File}", EventName = "ConfigUpdateAccepted")]
        public static partial void UpdateAccepted(ILogger logger, string subscription, string version, string file);

        [LoggerMessage(EventIds.ConfigUpdateRejected, LogLevel.Warning, "{Subscription} update rejected: {Problem}", EventName = "ConfigUpdateRejected")]
        public static partial void UpdateRejected(ILogger logger, string subscription, string problem);

        [LoggerMessage(EventIds.ConfigUpdateFailed, LogLevel.Warning, "{Subscription} update failure: {Problem}", EventName = "ConfigUpdateFailed")]
        public static partial void UpdateFailed(ILogger logger, string subscription, string problem);

        [LoggerMessage(EventIds.ConfigUpdateWarning, LogLevel.Warning, "{Subscription} update: {Problem}", EventName = "ConfigUpdateWarning")]
        public static partial void UpdateWarning(ILogger logger, string subscription, string problem);

        [LoggerMessage(EventIds.ConfigUpdateEmpty, LogLevel.Information, "{Subscription} update empty (version {Version}): {File} holds no ClusterLoadAssignment; the previous endpoints are kept", EventName = "ConfigUpdateEmpty")]
        public static partial void UpdateEmpty(ILogger logger, string subscription, string version, string file);

        [LoggerMessage(EventIds.ConfigUpdateUnchanged, LogLevel.Debug, "{Subscription}: {File} unchanged (same SHA-256), not reloaded", EventName = "ConfigUpdateUnchanged")]
        public static partial void UpdateUnchanged(ILogger logger, string subscription, string file);

        [LoggerMessage(EventIds.ConfigUpdateRefused, LogLevel.Warning, "{Subscription} update {Outcome}: {Errors} error(s) in {File}; {Consequence}", EventName = "ConfigUpdateRefused")]
        public static partial void UpdateRefused(ILogger logger, string subscription, string outcome, int errors, string file, string consequence);
    }
}
