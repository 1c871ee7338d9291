using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Sni;

/// <summary>Filter-chain configs built in code, and the client-side helpers the SNI tests share.</summary>
internal static class SniConfig
{
    public static FilterChainConfig Chain(string name, string cluster, params string[] serverNames) => new()
    {
        Name = name,
        Match = new FilterChainMatchConfig { ServerNames = [.. serverNames] },
        TcpProxy = new TcpProxyConfig { StatPrefix = name, Cluster = cluster },
    };

    /// <summary>A listener on 127.0.0.1:0 with <c>stat_prefix</c> = its name and tls_inspector.</summary>
    public static ListenerConfig Listener(string name, FilterChainConfig[] chains, FilterChainConfig? defaultChain = null, bool inspector = true) => new()
    {
        Name = name,
        StatPrefix = name,
        Address = TestConfig.Loopback(),
        TcpProxy = (chains.Length > 0 ? chains[0] : defaultChain!).TcpProxy,
        FilterChains = [.. chains],
        DefaultFilterChain = defaultChain,
        TlsInspector = inspector,
    };

    /// <summary>
    /// The real ClientHello .NET's TLS client sends for <paramref name="serverName"/>, captured by a listener that
    /// reads one TLS record and hangs up.
    /// </summary>
    public static async Task<byte[]> CaptureClientHelloAsync(string serverName)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        using var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        using var server = await listener.AcceptAsync().DefaultTimeout();
        var tls = new SslStream(new NetworkStream(client, ownsSocket: false));
        var handshake = tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = serverName, RemoteCertificateValidationCallback = static (_, _, _, _) => true });
        try
        {
            var header = await server.ReceiveExactlyAsync(5);
            var length = (header[3] << 8) | header[4];
            var body = await server.ReceiveExactlyAsync(length);
            return [.. header, .. body];
        }
        finally
        {
            server.Reset();
            await Assert.ThrowsAnyAsync<Exception>(() => handshake).DefaultTimeout();
            await tls.DisposeAsync();
        }
    }

    public static async Task<Socket> ConnectFromAsync(IPAddress source, IPEndPoint target)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(target).DefaultTimeout();
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="text"/> and reads its echo back.</summary>
    public static async Task<string> EchoAsync(Socket socket, string text)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(text);
        await socket.SendAllAsync(bytes).DefaultTimeout();
        return System.Text.Encoding.ASCII.GetString(await socket.ReceiveExactlyAsync(bytes.Length).DefaultTimeout());
    }

    /// <summary>True when the proxy closed the connection without relaying a byte (FIN or reset).</summary>
    public static async Task<bool> ClosedWithoutDataAsync(Socket socket)
    {
        var result = await socket.ReceiveUntilClosedAsync().DefaultTimeout();
        return result.Data.Length == 0;
    }
}
