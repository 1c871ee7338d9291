using System.Globalization;
using System.Runtime.InteropServices;

namespace UringLab;

/// <summary>
/// A TCP relay with three interchangeable kernel interfaces, to measure whether io_uring pays against edge-triggered
/// epoll for kubegate's data path (poll: the epoll relay with readiness, accepts and closes from an io_uring):
///
///   uring-lab --listen 127.0.0.1:PORT --upstream 127.0.0.1:PORT --threads 2 --mode epoll|uring|poll
///             [--buffers 256] [--buffer-size 65536] [--setup defer|defer-only|coop|plain] [--ring-shutdown no|yes]
///
/// --ring-shutdown yes sends half-closes through IORING_OP_SHUTDOWN instead of shutdown(2) (see EndDirection).
/// --buffers and --buffer-size size the uring mode's provided-buffer ring per reactor (a power of two, at most
/// 32768); --setup picks the first io_uring_setup flag set to try (the rest are fallbacks).
/// </summary>
internal static unsafe class Program
{
    private static int Main(string[] args)
    {
        string? listen = null, upstream = null, mode = "epoll", setup = "defer";
        var ringShutdown = false;
        int threads = 2, bufferSize = 64 * 1024;
        uint buffers = 256;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--listen": listen = value; break;
                case "--upstream": upstream = value; break;
                case "--threads": threads = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--mode": mode = value; break;
                case "--buffers": buffers = uint.Parse(value, CultureInfo.InvariantCulture); break;
                case "--buffer-size": bufferSize = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--setup": setup = value; break;
                case "--ring-shutdown": ringShutdown = value == "yes"; break;
                default: return Usage($"unknown flag {args[i]}");
            }
        }

        if (listen is null || upstream is null || threads < 1 || (mode != "epoll" && mode != "uring" && mode != "poll")
            || buffers == 0 || (buffers & (buffers - 1)) != 0 || buffers > 32768 || bufferSize < 4096)
        {
            return Usage("bad or missing flags");
        }

        // Both addresses live in native memory for the process's life: IORING_OP_CONNECT reads the sockaddr when the
        // kernel runs the request, not when it is queued, so it must not move or go away.
        var listenAddress = (byte*)NativeMemory.AllocZeroed(16);
        var upstreamAddress = (byte*)NativeMemory.AllocZeroed(16);
        if (!ParseEndpoint(listen, listenAddress) || !ParseEndpoint(upstream, upstreamAddress))
        {
            return Usage("endpoints must be IPv4 address:port");
        }

        // The flag sets io_uring_setup is asked for, best first. DEFER_TASKRUN (6.1) runs completion work only when
        // the reactor waits in io_uring_enter, never by interrupting it; it requires SINGLE_ISSUER. COOP_TASKRUN (5.19)
        // is the weaker form: no inter-processor interrupt to run task work, it waits for the next kernel entry.
        var all = new[]
        {
            Ring.SetupSingleIssuer | Ring.SetupDeferTaskrun | Ring.SetupCoopTaskrun | Ring.SetupSubmitAll,
            Ring.SetupSingleIssuer | Ring.SetupDeferTaskrun | Ring.SetupSubmitAll,
            Ring.SetupSingleIssuer | Ring.SetupCoopTaskrun | Ring.SetupSubmitAll,
            Ring.SetupCoopTaskrun,
            0u,
        };
        var flagSets = setup switch
        {
            "defer-only" => all[1..],
            "coop" => all[2..],
            "plain" => all[4..],
            _ => all,
        };

        var failed = new ManualResetEventSlim();
        var failure = "";
        for (var i = 0; i < threads; i++)
        {
            var id = i;
            var thread = new Thread(() =>
            {
                try
                {
                    if (mode == "epoll")
                    {
                        new EpollReactor(listenAddress, upstreamAddress).Run();
                    }
                    else if (mode == "poll")
                    {
                        new PollReactor(id, listenAddress, upstreamAddress, flagSets).Run(Console.Error.WriteLine);
                    }
                    else
                    {
                        new UringReactor(id, listenAddress, upstreamAddress, flagSets, buffers, bufferSize, ringShutdown).Run(Console.Error.WriteLine);
                    }
                }
                catch (Exception ex)
                {
                    failure = $"reactor {id}: {ex.Message}";
                    failed.Set();
                }
            })
            { IsBackground = true, Name = $"lab-{mode}-{i}" };
            thread.Start();
        }

        Console.Error.WriteLine($"uring-lab: {mode}, {threads} reactors, {listen} -> {upstream}");
        failed.Wait();
        Console.Error.WriteLine($"uring-lab: {failure}");
        return 1;
    }

    private static bool ParseEndpoint(string text, byte* sockaddr)
    {
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !System.Net.IPAddress.TryParse(text.AsSpan(0, colon), out var ip)
            || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || !ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            return false;
        }

        var bytes = ip.GetAddressBytes();
        Sys.WriteSockaddrIn(sockaddr, ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3], port);
        return true;
    }

    private static int Usage(string why)
    {
        Console.Error.WriteLine($"uring-lab: {why}\nusage: uring-lab --listen IP:PORT --upstream IP:PORT [--threads N] [--mode epoll|uring|poll] " +
                                "[--buffers POW2] [--buffer-size BYTES] [--setup defer|defer-only|coop|plain] [--ring-shutdown yes|no]");
        return 2;
    }
}
