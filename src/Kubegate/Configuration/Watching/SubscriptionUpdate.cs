using System.Collections.Immutable;

namespace Kubegate.Configuration.Watching;

/// <summary>A subscription whose file parsed and now goes through compose and apply.</summary>
/// <param name="Subscriber">The subscription.</param>
/// <param name="File">The file as named in the bootstrap or CDS file.</param>
/// <param name="VersionInfo">Its <c>version_info</c>.</param>
/// <param name="Problems">Its warnings.</param>
internal sealed record SubscriptionUpdate(FileSubscriber Subscriber, string File, string? VersionInfo, ImmutableArray<ConfigError> Problems);
