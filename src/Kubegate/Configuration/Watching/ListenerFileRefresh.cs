using System.Collections.Immutable;

namespace Kubegate.Configuration.Watching;

/// <summary>The LDS file: one subscription; a listener that cannot be bound refuses the update with the rest in force.</summary>
internal sealed class ListenerFileRefresh(ConfigReloader reloader) : ConfigFileRefresh(reloader)
{
    private DynamicFileResult<ListenerConfig>? _parsed;

    public override FileTarget? Select(ConfigFileSet current) =>
        current.Bootstrap.Bootstrap.LdsConfig is { } source && Reloader.ListenerStats is { } stats
            ? new FileTarget(source, [new FileSubscriber(ConfigReloader.ListenersKey, stats)])
            : null;

    public override ParsedChange? Parse(ConfigFileSet current, FileTarget target, List<ReloadResult> results)
    {
        var subscriber = target.Subscribers[0];
        var parsed = Reloader.Loader.ParseListenerFile(target.Source);
        Reloader.CountUnknownFields(parsed);
        if (!parsed.Succeeded)
        {
            results.Add(Reloader.Reporter.Refused(subscriber, parsed.File, parsed.VersionInfo, parsed.ParseFailed, parsed.Problems));
            return null;
        }

        _parsed = parsed;
        return new ParsedChange(current with { Listeners = parsed }, [new SubscriptionUpdate(subscriber, parsed.File, parsed.VersionInfo, parsed.Problems)]);
    }

    public override ImmutableArray<ConfigError> ApplyProblems(SubscriptionUpdate update, IReadOnlyList<ListenerApplyFailure> failures) =>
        _parsed is { } parsed ? [.. failures.Select(f => BindError(parsed, f))] : [];

    private static ConfigError BindError(DynamicFileResult<ListenerConfig> file, ListenerApplyFailure failure)
    {
        var index = -1;
        for (var i = 0; i < file.Resources.Length && index < 0; i++)
        {
            if (string.Equals(file.Resources[i].Name, failure.Name, StringComparison.Ordinal))
            {
                index = i;
            }
        }

        var line = index >= 0 ? file.Resources[index].Location.Line : 0;
        var path = index >= 0 && index < file.ResourcePaths.Length ? file.ResourcePaths[index] + ".address" : string.Empty;
        return new ConfigError(
            file.File,
            line,
            path,
            $"Error adding/updating listener(s) {failure.Name}: {failure}",
            "free the address or pick another port; the listener is bound again on the next accepted LDS update or SIGHUP");
    }
}
