using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.FunctionalTests.Reload;

/// <summary>Live reload in the real executable (serve mode): file watching and SIGHUP wired into the host.</summary>
public class ServeReloadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-serve-reload-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Serve_LdsMovedIntoPlaceThenSighup_NewListenerServesAndEveryFileIsReread()
    {
        await using var echo = new TcpEchoServer();
        var first = FreePort.Next();
        var second = FreePort.Next();
        Write("envoy.yaml", ReloadConfig.Bootstrap);
        Write("lds.yaml", ReloadConfig.Lds("1", ReloadConfig.Listener("l1", "c1", first)));
        Write("cds.yaml", ReloadConfig.Cds("1", ReloadConfig.Cluster("c1", "eds_c1.yaml")));
        Write("eds_c1.yaml", ReloadConfig.Eds("c1", "1", [echo.EndPoint]));

        await using var process = KubegateProcess.Start(_dir, "-c", "envoy.yaml", "--drain-time-s", "1");
        await Wait.UntilAsync(() => process.StandardOutput.Contains("configuration file(s)", StringComparison.Ordinal) || process.Exited.IsCompleted);
        Assert.False(process.Exited.IsCompleted, process.StandardError);

        Write("lds.yaml.tmp", ReloadConfig.Lds("2", ReloadConfig.Listener("l1", "c1", first), ReloadConfig.Listener("l2", "c1", second)));
        File.Move(Path.Combine(_dir, "lds.yaml.tmp"), Path.Combine(_dir, "lds.yaml"), overwrite: true);
        var written = Stopwatch.StartNew();
        await Wait.UntilAsync(() => process.StandardOutput.Contains("lds update accepted (version 2)", StringComparison.Ordinal));
        using (var client = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, second)))
        {
            await EndpointReloadTests.EchoAsync(client, "ping");
        }

        Assert.True(written.Elapsed < TimeSpan.FromSeconds(5), $"{written.ElapsedMilliseconds} ms");

        // SIGHUP re-reads every file, unchanged ones included: each subscription reports one more accepted update
        // than before the signal (counted, since the LDS line was already there).
        const string Lds = "lds update accepted (version 2)", Cds = "cds update accepted (version 1)", Eds = "eds (cluster c1) update accepted (version 1)";
        var before = (Lds: Count(process, Lds), Cds: Count(process, Cds), Eds: Count(process, Eds));
        Signal(process.Id, "HUP");
        await Wait.UntilAsync(() => (Count(process, Lds) > before.Lds && Count(process, Cds) > before.Cds && Count(process, Eds) > before.Eds) || process.Exited.IsCompleted);
        Assert.False(process.Exited.IsCompleted, "SIGHUP ended the process: " + process.StandardError);
        Assert.Contains("SIGHUP: re-reading every configuration file", process.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(before.Lds + 1, Count(process, Lds));

        process.Terminate();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    private static void Signal(int pid, string signal)
    {
        // Only the kubegate process this test started, by its PID.
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static int Count(KubegateProcess process, string line)
    {
        var output = process.StandardOutput;
        var count = 0;
        for (var at = output.IndexOf(line, StringComparison.Ordinal); at >= 0; at = output.IndexOf(line, at + line.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(_dir, name), content);
}
