using System.Collections.Immutable;

namespace Kubegate.Configuration;

/// <summary>The outcome of loading a bootstrap and every file it references.</summary>
/// <param name="Snapshot">The configuration, or null when any error was found.</param>
/// <param name="Problems">Every error and warning of every file, in file order.</param>
internal sealed record ConfigLoadResult(ConfigSnapshot? Snapshot, ImmutableArray<ConfigError> Problems)
{
    public bool Succeeded => Snapshot is not null;

    public IEnumerable<ConfigError> Errors => Problems.Where(p => p.Severity == ConfigErrorSeverity.Error);

    public IEnumerable<ConfigError> Warnings => Problems.Where(p => p.Severity == ConfigErrorSeverity.Warning);
}
