using System.Collections.Immutable;

namespace Kubegate.Configuration.Watching;

/// <summary>
/// What differs between the LDS, CDS and EDS files in one refresh: which file and subscriptions, how a file parses
/// into the next file set, what applying can still refuse, and what follows a swap. Everything else (read → parse →
/// compose → apply → swap → report) is <see cref="ConfigReloader"/>'s one template. One instance per refresh.
/// </summary>
internal abstract class ConfigFileRefresh
{
    protected ConfigFileRefresh(ConfigReloader reloader) => Reloader = reloader;

    protected ConfigReloader Reloader { get; }

    /// <summary>The file to read in <paramref name="current"/>, or null when this kind is not configured there.</summary>
    public abstract FileTarget? Select(ConfigFileSet current);

    /// <summary>
    /// Parses the changed file against <paramref name="current"/>; reports the subscriptions that end here (refused,
    /// empty) into <paramref name="results"/>, and returns the change to compose, or null when nothing is left.
    /// </summary>
    public abstract ParsedChange? Parse(ConfigFileSet current, FileTarget target, List<ReloadResult> results);

    /// <summary>Problems applying found for <paramref name="update"/> while the rest is in force (LDS: bind failures).</summary>
    public virtual ImmutableArray<ConfigError> ApplyProblems(SubscriptionUpdate update, IReadOnlyList<ListenerApplyFailure> failures) => [];

    /// <summary>The file set to swap in, composed and applied (CDS: forgets the hashes of files no longer read).</summary>
    public virtual ConfigFileSet Completing(ConfigFileSet next) => next;

    /// <summary>After the swap from <paramref name="before"/> to <paramref name="after"/> and the reports.</summary>
    public virtual void AfterSwap(ConfigFileSet before, ConfigFileSet after)
    {
    }
}
