namespace Kubegate.Soak.Sampling;

/// <summary>One reading of kubegate's process: resident memory, open descriptors, threads, CPU time used so far.</summary>
/// <param name="Elapsed">Since the load started (negative: before it).</param>
/// <param name="RssKiB">VmRSS.</param>
/// <param name="Descriptors">Entries in /proc/PID/fd.</param>
/// <param name="Sockets">Of those, sockets.</param>
/// <param name="Pipes">Of those, pipe ends (kubegate's splice pipes: two each).</param>
/// <param name="Threads">Threads.</param>
/// <param name="CpuTime">utime + stime.</param>
internal sealed record ProcessSample(TimeSpan Elapsed, long RssKiB, int Descriptors, int Sockets, int Pipes, int Threads, TimeSpan CpuTime)
{
    /// <summary>Descriptors that are neither sockets nor pipes: epoll, eventfd, inotify, log files, the runtime's own.</summary>
    public int Other => Descriptors - Sockets - Pipes;
}
