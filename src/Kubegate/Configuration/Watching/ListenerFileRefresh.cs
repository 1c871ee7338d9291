using System.Collections.Immutable;
using Kubegate.Stats;

namespace Kubegate.Configuration.Watching;

/// <summary>The LDS file: one subscription; a listener that cannot be bound refuses the update with the rest in force.</summary>
internal sealed class ListenerFileRefresh(ConfigReloader reloader) : SingleFileRefresh<ListenerConfig>(reloader, ConfigReloader.ListenersKey)
{
    private DynamicFileResult<ListenerConfig>? _parsed;

    protected override SubscriptionStats? Stats => Reloader.ListenerStats;

    protected override ConfigSourceConfig? SourceIn(ConfigFileSet current) => current.Bootstrap.Bootstrap.LdsConfig;

    protected override DynamicFileResult<ListenerConfig> ParseFile(ConfigSourceConfig source) => Reloader.Loader.ParseListenerFile(source);

    protected override ConfigFileSet With(ConfigFileSet current, DynamicFileResult<ListenerConfig> parsed)
    {
        _parsed = parsed;
        return current with { Listeners = parsed };
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
