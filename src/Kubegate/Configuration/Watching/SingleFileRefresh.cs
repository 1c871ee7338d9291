using Kubegate.Stats;

namespace Kubegate.Configuration.Watching;

/// <summary>A file that feeds one subscription (LDS, CDS): parse it, refuse it whole or put it in the next file set.</summary>
/// <typeparam name="T">The file's resource type.</typeparam>
internal abstract class SingleFileRefresh<T>(ConfigReloader reloader, string subscription) : ConfigFileRefresh(reloader)
{
    /// <summary>The subscription's stats; null when the bootstrap does not name the file.</summary>
    protected abstract SubscriptionStats? Stats { get; }

    public sealed override FileTarget? Select(ConfigFileSet current) =>
        SourceIn(current) is { } source && Stats is { } stats ? new FileTarget(source, [new FileSubscriber(subscription, stats)]) : null;

    public sealed override ParsedChange? Parse(ConfigFileSet current, FileTarget target, List<ReloadResult> results)
    {
        var subscriber = target.Subscribers[0];
        var parsed = ParseFile(target.Source);
        Reloader.CountUnknownFields(parsed);
        if (!parsed.Succeeded)
        {
            results.Add(Reloader.Reporter.Refused(subscriber, parsed.File, parsed.VersionInfo, parsed.ParseFailed, parsed.Problems));
            return null;
        }

        return new ParsedChange(With(current, parsed), [new SubscriptionUpdate(subscriber, parsed.File, parsed.VersionInfo, parsed.Problems)]);
    }

    /// <summary>The file in <paramref name="current"/>'s bootstrap; null when there is none.</summary>
    protected abstract ConfigSourceConfig? SourceIn(ConfigFileSet current);

    protected abstract DynamicFileResult<T> ParseFile(ConfigSourceConfig source);

    /// <summary>The file set with <paramref name="parsed"/> in force (and what comes with it).</summary>
    protected abstract ConfigFileSet With(ConfigFileSet current, DynamicFileResult<T> parsed);
}
