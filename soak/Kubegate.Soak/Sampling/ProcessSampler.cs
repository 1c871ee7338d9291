using System.Globalization;

namespace Kubegate.Soak.Sampling;

/// <summary>Reads a process's RSS, descriptors, threads and CPU time from /proc, now or every few seconds into a list.</summary>
internal sealed class ProcessSampler(int pid)
{
    /// <summary>USER_HZ: /proc/PID/stat counts CPU time in ticks of 1/100 s on every Linux architecture .NET runs on.</summary>
    private const double TicksPerSecond = 100;

    private readonly List<ProcessSample> _samples = [];

    public IReadOnlyList<ProcessSample> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    public ProcessSample Read(TimeSpan elapsed)
    {
        long rss = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        // The command name in parentheses may hold spaces: the fields are counted after its closing parenthesis.
        // utime and stime are fields 14 and 15 of stat(5), so the 12th and 13th after the name.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        int descriptors = 0, sockets = 0, pipes = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            descriptors++;
            string? target;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue; // Closed between the listing and the read.
            }

            if (target?.StartsWith("socket:", StringComparison.Ordinal) == true)
            {
                sockets++;
            }
            else if (target?.StartsWith("pipe:", StringComparison.Ordinal) == true)
            {
                pipes++;
            }
        }

        return new ProcessSample(elapsed, rss, descriptors, sockets, pipes, threads, TimeSpan.FromSeconds(ticks / TicksPerSecond));
    }

    /// <summary>Samples every <paramref name="period"/> until <paramref name="stop"/>, timing from <paramref name="loadStart"/>.</summary>
    public async Task RunAsync(DateTime loadStart, TimeSpan period, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            do
            {
                Add(Read(DateTime.UtcNow - loadStart));
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process is gone: the run notices and reports it.
        }
    }

    public void Add(ProcessSample sample)
    {
        lock (_samples)
        {
            _samples.Add(sample);
        }
    }
}
