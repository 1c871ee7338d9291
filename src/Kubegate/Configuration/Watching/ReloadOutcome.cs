namespace Kubegate.Configuration.Watching;

/// <summary>How one subscription's refresh ended (Envoy's subscription stats, plus "unchanged").</summary>
internal enum ReloadOutcome
{
    /// <summary>The content hash had not changed: nothing read, nothing counted.</summary>
    Unchanged,

    /// <summary><c>update_success</c>: the new file is in force.</summary>
    Accepted,

    /// <summary>EDS <c>update_empty</c> (and <c>update_success</c>): no ClusterLoadAssignment, the previous endpoints stay.</summary>
    Empty,

    /// <summary><c>update_failure</c>: the file could not be read or parsed; the last good config stays.</summary>
    Failed,

    /// <summary><c>update_rejected</c>: the file parsed but is invalid; the last good config stays.</summary>
    Rejected,
}
