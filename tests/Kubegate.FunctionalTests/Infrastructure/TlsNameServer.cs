using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// A TLS server that answers each handshake with its own name and closes, and remembers the SNI each client sent:
/// what a test needs to tell which upstream a TLS client reached through a passthrough proxy.
/// </summary>
internal sealed class TlsNameServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<string> _serverNames = [];

    public TlsNameServer(string name, X509Certificate2 certificate)
    {
        Name = name;
        _certificate = certificate;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _loop = AcceptLoopAsync();
    }

    public string Name { get; }

    public IPEndPoint EndPoint { get; }

    /// <summary>The SNI of every completed handshake ("" when the client sent none), in order.</summary>
    public IReadOnlyList<string> ServerNames
    {
        get
        {
            lock (_serverNames)
            {
                return [.. _serverNames];
            }
        }
    }

    /// <summary>Connects through <paramref name="endPoint"/> as a TLS client with <paramref name="serverName"/> as SNI (null: none) and returns the server's name.</summary>
    public static async Task<string> AskAsync(IPEndPoint endPoint, string? serverName)
    {
        using var socket = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));

        // An IP literal as target host sends no SNI (RFC 6066 forbids literal addresses in server_name).
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? "127.0.0.1",
            RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        }).WaitAsync(TimeSpan.FromSeconds(10));
        using var reader = new StreamReader(tls, Encoding.ASCII);
        return (await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10))).Trim();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            await using var tls = new SslStream(new NetworkStream(client, ownsSocket: true));
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
            lock (_serverNames)
            {
                _serverNames.Add(tls.TargetHostName);
            }

            await tls.WriteAsync(Encoding.ASCII.GetBytes(Name + "\n"), _stop.Token);
            await tls.ShutdownAsync();
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException or SocketException)
        {
            // A client that went away mid-handshake (the no-match tests) is not the server's problem.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
