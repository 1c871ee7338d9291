using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;

namespace Kubegate.FunctionalTests.Proxy;

/// <summary>
/// <c>upstream_connection_options.tcp_keepalive</c> reaches the kernel: the options are read back from kubegate's own
/// upstream socket (found in this process's descriptors through its port, as <c>ss</c> would), not from the config.
/// </summary>
public class TcpKeepaliveTests
{
    [Fact]
    public async Task TcpKeepalive_SetOnTheUpstreamSocket()
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple(
            [upstream.EndPoint],
            cluster: c => c with { TcpKeepalive = new TcpKeepaliveConfig(Probes: 4, Time: 301, Interval: 11) }));
        await server.StartAsync();

        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        using var accepted = await upstream.AcceptAsync();
        using var kubegateSide = UpstreamSocketOf((IPEndPoint)accepted.RemoteEndPoint!, (IPEndPoint)accepted.LocalEndPoint!);

        Assert.Equal(1, (int)kubegateSide.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal(301, (int)kubegateSide.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal(11, (int)kubegateSide.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Equal(4, (int)kubegateSide.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!);
    }

    [Fact]
    public async Task NoTcpKeepalive_OptionOff()
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]));
        await server.StartAsync();

        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        using var accepted = await upstream.AcceptAsync();
        using var kubegateSide = UpstreamSocketOf((IPEndPoint)accepted.RemoteEndPoint!, (IPEndPoint)accepted.LocalEndPoint!);

        Assert.Equal(0, (int)kubegateSide.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
    }

    /// <summary>
    /// A view (not owning the descriptor) of the proxy's established socket from <paramref name="local"/> to
    /// <paramref name="remote"/>: its inode from /proc/net/tcp (state 01; a TIME_WAIT entry of an earlier test may
    /// share the port, with inode 0), then the descriptor of this process pointing at that inode.
    /// </summary>
    private static Socket UpstreamSocketOf(IPEndPoint local, IPEndPoint remote)
    {
        var localPort = ":" + local.Port.ToString("X4", CultureInfo.InvariantCulture);
        var remotePort = ":" + remote.Port.ToString("X4", CultureInfo.InvariantCulture);
        string? inode = null;
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields[1].EndsWith(localPort, StringComparison.Ordinal) && fields[2].EndsWith(remotePort, StringComparison.Ordinal) && fields[3] == "01")
            {
                inode = fields[9];
                break;
            }
        }

        Assert.True(inode is not null, $"no established socket {local} -> {remote} in /proc/net/tcp");
        foreach (var link in Directory.EnumerateFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(link).LinkTarget == $"socket:[{inode}]")
                {
                    var fd = int.Parse(Path.GetFileName(link), CultureInfo.InvariantCulture);
                    return new Socket(new SafeSocketHandle(fd, ownsHandle: false));
                }
            }
            catch (IOException)
            {
                // A descriptor closed while the folder was read.
            }
        }

        throw new InvalidOperationException($"socket inode {inode} is not among this process's descriptors");
    }
}
