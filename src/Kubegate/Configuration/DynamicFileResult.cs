using System.Collections.Immutable;

namespace Kubegate.Configuration;

/// <summary>
/// One LDS, CDS or EDS file parsed on its own (<see cref="ConfigLoader.ParseListenerFile(ConfigSourceConfig)"/> and
/// siblings), for live reload. Mirrors Envoy's file subscription: a file that cannot be parsed is an update
/// <em>failure</em>; a parsed file with invalid resources is <em>rejected</em>, but its valid resources are still
/// listed, because LDS and CDS apply resources one at a time.
/// </summary>
/// <typeparam name="T">ListenerConfig, ClusterConfig or ClusterLoadAssignmentConfig.</typeparam>
/// <param name="File">The path as written in the bootstrap or CDS file.</param>
/// <param name="FullPath">The path resolved against the working directory.</param>
/// <param name="VersionInfo">The file's <c>version_info</c>, or null.</param>
/// <param name="Resources">The valid resources, in file order (for EDS: zero or one).</param>
/// <param name="ResourcePaths">Field path of each of <see cref="Resources"/> (e.g. <c>resources[2]</c>).</param>
/// <param name="RejectedNames">Names of the resources that were present but invalid (Envoy: "Error adding/updating …").</param>
/// <param name="Problems">Errors and warnings of this file.</param>
/// <param name="ParseFailed">
/// True when the file could not be read or parsed (syntax, wrong JSON types, bad durations, oneof conflicts): Envoy's
/// <c>update_failure</c>. False with errors means <c>update_rejected</c>.
/// </param>
internal sealed record DynamicFileResult<T>(
    string File,
    string FullPath,
    string? VersionInfo,
    ImmutableArray<T> Resources,
    ImmutableArray<string> ResourcePaths,
    ImmutableArray<string> RejectedNames,
    ImmutableArray<ConfigError> Problems,
    bool ParseFailed)
{
    /// <summary>No errors (warnings allowed): Envoy's <c>update_success</c>.</summary>
    public bool Succeeded => !Problems.Any(p => p.Severity == ConfigErrorSeverity.Error);

    /// <summary>Number of unknown fields reported (<c>server.dynamic_unknown_fields</c>).</summary>
    public int UnknownFieldCount => Problems.Count(p => p.IsUnknownField);
}
