namespace Kubegate.Discovery;

/// <summary>What one cluster's discovery last did, for the dashboard and the admin interface. Immutable; replaced whole.</summary>
/// <param name="Cluster">The cluster whose EDS file discovery writes.</param>
/// <param name="EndpointCount">Apiservers in the last list written (or found in the file at start).</param>
/// <param name="LastWritten">When the EDS file was last written; null when not yet in this run.</param>
/// <param name="Problem">Why the last list was refused, or why the API cannot be read now; null when all is well.</param>
internal sealed record DiscoveryStatus(string Cluster, int EndpointCount, DateTimeOffset? LastWritten, string? Problem);
