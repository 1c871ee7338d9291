namespace Kubegate.Configuration;

/// <summary>
/// <c>upstream_connection_options.tcp_keepalive</c>. Presence turns SO_KEEPALIVE on; unset members keep the OS
/// defaults (Linux: 9 probes, 7200 s, 75 s). Values are plain integers (probes / seconds), not durations.
/// </summary>
internal sealed record TcpKeepaliveConfig(uint? Probes, uint? Time, uint? Interval);
