namespace Kubegate.Configuration;

/// <summary><c>tcp_proxy.access_log_options</c>.</summary>
internal sealed record AccessLogOptionsConfig
{
    /// <summary>Write an intermediate entry at this interval while a connection lives; null disables.</summary>
    public TimeSpan? FlushInterval { get; init; }

    public bool FlushOnConnected { get; init; }

    public bool FlushOnStart { get; init; }
}
