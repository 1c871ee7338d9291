namespace Kubegate.Configuration;

/// <summary>A network filter that runs on a new connection before <c>tcp_proxy</c>: admit it or close it.</summary>
internal abstract record NetworkFilterConfig
{
    /// <summary><c>stat_prefix</c> of the filter.</summary>
    public required string StatPrefix { get; init; }

    public SourceLocation Location { get; init; }
}
