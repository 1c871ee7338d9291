namespace Kubegate.Soak.Sampling;

/// <summary>One reading of kubegate's process: resident memory, open descriptors, threads, CPU time used so far.</summary>
/// <param name="Elapsed">Since the load started (negative: before it).</param>
/// <param name="RssKiB">VmRSS.</param>
/// <param name="Descriptors">Entries in /proc/PID/fd.</param>
/// <param name="Threads">Threads.</param>
/// <param name="CpuTime">utime + stime.</param>
internal sealed record ProcessSample(TimeSpan Elapsed, long RssKiB, int Descriptors, int Threads, TimeSpan CpuTime);
