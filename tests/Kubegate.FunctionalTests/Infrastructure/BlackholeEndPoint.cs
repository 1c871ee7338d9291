using System.Net;
using System.Net.Sockets;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// A loopback address whose connects never complete: a listening socket with backlog 1 that never accepts, its
/// accept queue filled by connections nobody accepts. On Linux a SYN that arrives while the accept queue is full is
/// dropped (not refused), so further connects hang in SYN_SENT until the connector gives up.
/// </summary>
internal sealed class BlackholeEndPoint : IDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(200);

    // Linux holds backlog + 1 connections; a few more covers other kernels' rounding without looping for long.
    private const int MaxFillers = 16;

    private readonly Socket _listener;
    private readonly List<Socket> _fillers = [];

    private BlackholeEndPoint(Socket listener)
    {
        _listener = listener;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The black hole, or null (with the reason) when this kernel completes every connect anyway.</summary>
    public static async Task<(BlackholeEndPoint? EndPoint, string Reason)> TryCreateAsync()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var blackhole = new BlackholeEndPoint(listener);
        for (var i = 0; i < MaxFillers; i++)
        {
            var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(ProbeTimeout);
            try
            {
                await probe.ConnectAsync(blackhole.EndPoint, timeout.Token);
                blackhole._fillers.Add(probe);
            }
            catch (OperationCanceledException)
            {
                // This SYN was dropped: the queue is full. Further connects (the proxy's) hang the same way.
                probe.Dispose();
                return (blackhole, string.Empty);
            }
            catch (SocketException ex)
            {
                probe.Dispose();
                blackhole.Dispose();
                return (null, $"connect to a full accept queue failed with {ex.SocketErrorCode} instead of hanging (tcp_abort_on_overflow?)");
            }
        }

        blackhole.Dispose();
        return (null, $"the kernel completed {MaxFillers} connects to a backlog-1 listener that never accepts");
    }

    public void Dispose()
    {
        foreach (var filler in _fillers)
        {
            filler.Dispose();
        }

        _listener.Dispose();
    }
}
