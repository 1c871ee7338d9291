using System.Diagnostics;
using System.Globalization;

namespace Kubegate.Soak.Reporting;

/// <summary>The machine the soak ran on: cores, CPU, kernel, load averages, kubegate's version and size.</summary>
internal sealed record MachineInfo(int Cores, string Cpu, string Kernel, string LoadAtStart, string KubegateVersion, long KubegateBytes)
{
    /// <summary>The 1-minute load average at the end; set when the run ends.</summary>
    public string LoadAtEnd { get; set; } = "?";

    /// <summary>The highest 1-minute load average seen during the run.</summary>
    public double PeakLoad { get; set; }

    public static async Task<MachineInfo> ReadAsync(string kubegate)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        var version = "?";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(kubegate, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            version = (await process.StandardOutput.ReadToEndAsync()).Trim();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is TimeoutException or System.ComponentModel.Win32Exception)
        {
        }

        return new MachineInfo(Environment.ProcessorCount, cpu, File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), LoadAverage(), version, new FileInfo(kubegate).Length);
    }

    /// <summary>/proc/loadavg's first three fields.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public static double OneMinuteLoad() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}
