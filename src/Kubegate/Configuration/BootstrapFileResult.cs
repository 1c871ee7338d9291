using System.Collections.Immutable;

namespace Kubegate.Configuration;

/// <summary>The bootstrap file alone, parsed and validated (<see cref="ConfigLoader.ParseBootstrap"/>).</summary>
/// <param name="Bootstrap">
/// The bootstrap, also when it has errors (so the files it names can still be checked); invalid static listeners and
/// clusters are left out of it. Check <see cref="Succeeded"/> before using it.
/// </param>
/// <param name="File">The bootstrap path as given.</param>
/// <param name="FullPath">The bootstrap path resolved against the working directory.</param>
/// <param name="StaticListenerPaths">Field path of each of <see cref="BootstrapConfig.StaticListeners"/>.</param>
/// <param name="StaticClusterPaths">Field path of each of <see cref="BootstrapConfig.StaticClusters"/>.</param>
/// <param name="RejectedClusterNames">Names of static clusters that were present but invalid.</param>
/// <param name="Problems">Errors and warnings of the bootstrap file.</param>
internal sealed record BootstrapFileResult(
    BootstrapConfig Bootstrap,
    string File,
    string FullPath,
    ImmutableArray<string> StaticListenerPaths,
    ImmutableArray<string> StaticClusterPaths,
    ImmutableArray<string> RejectedClusterNames,
    ImmutableArray<ConfigError> Problems)
{
    public bool Succeeded => !Problems.Any(p => p.Severity == ConfigErrorSeverity.Error);
}
