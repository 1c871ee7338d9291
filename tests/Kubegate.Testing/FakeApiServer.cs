using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kubegate.Testing;

/// <summary>
/// A kube-apiserver double: Kestrel on 127.0.0.1, HTTPS only, HTTP/1.1 and HTTP/2 through ALPN, client-certificate
/// authentication like <c>--client-ca-file</c>, and just enough of the API (discovery, namespaces, watch, health
/// endpoints) for the real kubectl. Counts TCP and TLS connections and requests, and can die abruptly
/// (<see cref="AbortAsync"/>) to play a crashed apiserver.
/// </summary>
/// <remarks>
/// Built on <see cref="WebApplication.CreateEmptyBuilder"/> with <c>UseKestrelCore</c> and one terminal request
/// delegate: no configuration sources, no routing, no console lifetime, so a start takes a few milliseconds after
/// the first one in a process.
/// </remarks>
public sealed partial class FakeApiServer : IAsyncDisposable
{
    /// <summary>The annotation the watch's synthetic MODIFIED events put on the <c>default</c> namespace, counting up.</summary>
    public const string WatchTickAnnotation = "kubegate.test/watch-tick";

    private const int MaxRequestLog = 1000;

    private readonly FakeApiServerOptions _options;
    private readonly X509Certificate2 _serverCertificate;
    private readonly X509Certificate2? _clientCertificateAuthority;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, ConnectionState> _openConnections = new(StringComparer.Ordinal);
    private readonly CountWaiter _tcpConnections = new();
    private readonly CountWaiter _tlsConnections = new();
    private readonly CountWaiter _requests = new();
    private readonly List<string> _clientSubjects = [];
    private readonly List<string> _rejectedClientSubjects = [];
    private readonly ConcurrentQueue<FakeApiServerRequest> _requestLog = new();
    private WebApplication? _app;
    private ListenOptions? _listenOptions;
    private int _stopState; // 0 running, 1 stopping or stopped
    private Task? _stopTask;

    // After a stop, the port stays bound (never listening) until DisposeAsync, or until a server is started on that
    // port by number (a restart): connects to it are refused as they would be to a dead apiserver's, and no test
    // running in parallel gets the port from a bind to port 0 and then receives the connections meant for this one.
    private static readonly ConcurrentDictionary<IPEndPoint, Socket> HeldPorts = new();
    private Socket? _portHeld;
    private volatile ReadyzMode _readyzMode;

    private FakeApiServer(FakeApiServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _serverCertificate = options.ServerCertificate
            ?? throw new ArgumentException($"{nameof(FakeApiServerOptions.ServerCertificate)} is required.", nameof(options));
        _clientCertificateAuthority = options.ClientCertificateAuthority;
        Name = options.Name;
        _readyzMode = options.ReadyzMode;
        SlowReadyzDelay = options.SlowReadyzDelay;
        WatchEventInterval = options.WatchEventInterval;
        WatchEventCount = options.WatchEventCount;
        foreach (var name in (string[])["default", "kube-system", "kube-public", .. options.Namespaces])
        {
            AddNamespace(name);
        }
    }

    /// <summary>Raised for every request once its status is known (on response start, or on abort with status 0). Runs on the request's thread.</summary>
    public event Action<FakeApiServerRequest>? RequestCompleted;

    /// <summary>The instance name (<see cref="FakeApiServerOptions.Name"/>).</summary>
    public string Name { get; }

    /// <summary>The bound endpoint (the actual port when 0 was asked for).</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>The bound port.</summary>
    public int Port => EndPoint.Port;

    /// <summary><c>https://127.0.0.1:&lt;port&gt;</c>.</summary>
    public Uri BaseAddress => new($"https://{EndPoint}/");

    /// <summary>
    /// False: <c>/livez</c> answers 500 (<c>[-]ping failed</c>), as a wedged kube-apiserver's does; true (default): 200.
    /// </summary>
    public bool LivezOk { get; set; } = true;

    /// <summary>How <c>/readyz</c> answers from now on.</summary>
    public ReadyzMode ReadyzMode
    {
        get => _readyzMode;
        set => _readyzMode = value;
    }

    /// <summary>How long <see cref="Testing.ReadyzMode.Slow"/> waits before answering.</summary>
    public TimeSpan SlowReadyzDelay { get; set; }

    /// <summary>The pause between a watch's synthetic events; read when a watch starts.</summary>
    public TimeSpan WatchEventInterval { get; set; }

    /// <summary>Events per watch before the server ends it (<see langword="null"/>: never); read when a watch starts.</summary>
    public int? WatchEventCount { get; set; }

    /// <summary>TCP connections accepted (counted before the TLS handshake, so failed handshakes and TCP probes count).</summary>
    public long ConnectionCount => _tcpConnections.Count;

    /// <summary>Connections whose TLS handshake succeeded (client certificate, if any, verified).</summary>
    public long TlsConnectionCount => _tlsConnections.Count;

    /// <summary>Connections open right now.</summary>
    public int OpenConnectionCount => _openConnections.Count;

    /// <summary>Requests finished (response complete or aborted).</summary>
    public long RequestCount => _requests.Count;

    /// <summary>The subject of each client certificate that chains to the client CA, one entry per TLS connection that presented one, in order.</summary>
    public IReadOnlyList<string> ClientSubjects
    {
        get
        {
            lock (_clientSubjects)
            {
                return [.. _clientSubjects];
            }
        }
    }

    /// <summary>
    /// The subject of each client certificate that did not chain to the client CA, one entry per TLS connection, in
    /// order (only when <see cref="FakeApiServerOptions.RejectUntrustedClientCertificateInHandshake"/> is off; with it
    /// on such connections never complete the handshake).
    /// </summary>
    public IReadOnlyList<string> RejectedClientSubjects
    {
        get
        {
            lock (_clientSubjects)
            {
                return [.. _rejectedClientSubjects];
            }
        }
    }

    /// <summary>The last (up to 1000) requests, oldest first.</summary>
    public IReadOnlyList<FakeApiServerRequest> Requests => [.. _requestLog];

    /// <summary>Starts a server and returns once it is listening.</summary>
    /// <exception cref="IOException">The port is in use (inner <see cref="AddressInUseException"/>).</exception>
    public static async Task<FakeApiServer> StartAsync(FakeApiServerOptions options, CancellationToken cancellationToken = default)
    {
        var server = new FakeApiServer(options);
        try
        {
            await server.StartCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return server;
    }

    /// <summary>Completes once <paramref name="count"/> TCP connections in total have been accepted.</summary>
    public Task WaitForConnectionsAsync(long count, CancellationToken cancellationToken = default) => _tcpConnections.WaitAsync(count, cancellationToken);

    /// <summary>Completes once <paramref name="count"/> TLS handshakes in total have succeeded.</summary>
    public Task WaitForTlsConnectionsAsync(long count, CancellationToken cancellationToken = default) => _tlsConnections.WaitAsync(count, cancellationToken);

    /// <summary>Completes once <paramref name="count"/> requests in total have finished.</summary>
    public Task WaitForRequestsAsync(long count, CancellationToken cancellationToken = default) => _requests.WaitAsync(count, cancellationToken);

    /// <summary>
    /// Graceful stop: stops listening, ends open watches and slow <c>/readyz</c> answers, lets requests finish for up
    /// to <see cref="FakeApiServerOptions.ShutdownTimeout"/>, then aborts what is left.
    /// </summary>
    public Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopState, 1) == 0)
        {
            _stopTask = StopCoreAsync(abort: false);
        }

        return _stopTask ?? Task.CompletedTask;
    }

    /// <summary>
    /// kube-apiserver's graceful shutdown (SIGTERM): for <paramref name="shutdownDelay"/> (its
    /// <c>--shutdown-delay-duration</c>) <c>/readyz</c> fails with 503 while <c>/livez</c> and every other request are
    /// still served, so load balancers stop sending new connections; then it stops listening and ends its
    /// connections (<see cref="StopAsync"/>: watches end cleanly, clients re-open them elsewhere); after that the port
    /// refuses.
    /// </summary>
    public async Task ShutDownGracefullyAsync(TimeSpan shutdownDelay, CancellationToken cancellationToken = default)
    {
        ReadyzMode = ReadyzMode.ShuttingDown;
        await Task.Delay(shutdownDelay, cancellationToken).ConfigureAwait(false);
        await StopAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Dies like a killed process: closes the listening socket and every open connection at once, without ending
    /// responses. Once the returned task completes the port refuses connections.
    /// </summary>
    public Task AbortAsync()
    {
        if (Interlocked.Exchange(ref _stopState, 1) == 0)
        {
            _stopTask = StopCoreAsync(abort: true);
        }

        return _stopTask ?? Task.CompletedTask;
    }

    /// <summary>Synchronous <see cref="AbortAsync"/>, for places that cannot await.</summary>
    public void Abort() => Task.Run(AbortAsync).GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        if (_portHeld is not null)
        {
            HeldPorts.TryRemove(new KeyValuePair<IPEndPoint, Socket>(EndPoint, _portHeld));
            _portHeld.Dispose();
        }

        _stopping.Dispose();
    }

    public override string ToString() => $"{Name} ({EndPoint})";

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        if (_options.Port != 0 && HeldPorts.TryRemove(new IPEndPoint(_options.Address, _options.Port), out var held))
        {
            held.Dispose();
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "kubegate-fake-apiserver" });
        builder.Services.AddSingleton<IHostLifetime, NoopHostLifetime>();
        if (_options.LoggerProvider is { } loggerProvider)
        {
            builder.Logging.AddProvider(loggerProvider);
        }

        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(new IPEndPoint(_options.Address, _options.Port), listen =>
            {
                _listenOptions = listen;
                listen.Protocols = HttpProtocols.Http1AndHttp2;

                // Before UseHttps: sees every TCP connection, including those whose handshake fails and bare TCP probes.
                listen.Use(next => connection => OnTcpConnectionAsync(connection, next));
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = _serverCertificate,

                    // kube-apiserver's tls.VerifyClientCertIfGiven: ask for a certificate and accept none. A certificate
                    // that does not chain to the CA fails the handshake only when asked for; see that option for why.
                    ClientCertificateMode = _clientCertificateAuthority is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (certificate, _, _) => !_options.RejectUntrustedClientCertificateInHandshake || IsTrustedClientCertificate(certificate),
                    HandshakeTimeout = TimeSpan.FromSeconds(10),
                });
                listen.Use(next => connection => OnTlsConnectionAsync(connection, next));
            });
        });

        var app = builder.Build();
        _app = app;
        RunExtensions.Run(app, HandleRequestAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);

        // Kestrel writes the bound endpoint (the real port for port 0) back into the ListenOptions.
        EndPoint = _listenOptions?.IPEndPoint ?? throw new InvalidOperationException("Kestrel did not report the bound endpoint.");
    }

    private async Task StopCoreAsync(bool abort)
    {
        _stopping.Cancel();
        if (_app is null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(abort ? TimeSpan.Zero : _options.ShutdownTimeout);
        try
        {
            // Kestrel unbinds first, then asks connections to close and aborts them once the token fires; with an
            // already-cancelled token that is immediate.
            var stop = _app.StopAsync(timeout.Token);
            if (abort)
            {
                foreach (var state in _openConnections.Values)
                {
                    state.Connection.Abort(new ConnectionAbortedException($"{Name} aborted by the test."));
                }
            }

            await stop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        HoldPort();
    }

    private void HoldPort()
    {
        // Without SO_REUSEADDR first: then no other socket can share the port. With it only when the server's closed
        // connections still sit in TIME_WAIT on the port, which a plain bind counts as a conflict.
        _portHeld = TryBind(reuseAddress: false) ?? TryBind(reuseAddress: true);
        if (_portHeld is not null)
        {
            HeldPorts[EndPoint] = _portHeld;
        }
    }

    private Socket? TryBind(bool reuseAddress)
    {
        var socket = new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, reuseAddress);
            socket.Bind(EndPoint);
            return socket;
        }
        catch (SocketException)
        {
            // Taken (by a bind to port 0 elsewhere in the moment since Kestrel let it go), or TIME_WAIT: not held.
            socket.Dispose();
            return null;
        }
    }

    private bool IsTrustedClientCertificate(X509Certificate2 certificate)
    {
        if (_clientCertificateAuthority is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_clientCertificateAuthority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;

        // kube-apiserver requires the client-auth usage too (x509.ExtKeyUsageClientAuth in its verify options).
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }

    private async Task OnTcpConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        _openConnections[connection.ConnectionId] = new ConnectionState(connection);
        _tcpConnections.Increment();
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            _openConnections.TryRemove(connection.ConnectionId, out _);
        }
    }

    private Task OnTlsConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (connection.Features.Get<ITlsConnectionFeature>()?.ClientCertificate is { } certificate
            && _openConnections.TryGetValue(connection.ConnectionId, out var state))
        {
            // Verified once per connection, not per request (a chain build costs about 0.1 ms).
            var trusted = IsTrustedClientCertificate(certificate);
            state.TrustedSubject = trusted ? certificate.Subject : null;
            state.HasUntrustedCertificate = !trusted;
            lock (_clientSubjects)
            {
                (trusted ? _clientSubjects : _rejectedClientSubjects).Add(certificate.Subject);
            }
        }

        _tlsConnections.Increment();
        return next(connection);
    }

    private void Report(FakeApiServerRequest request)
    {
        _requestLog.Enqueue(request);
        while (_requestLog.Count > MaxRequestLog && _requestLog.TryDequeue(out _))
        {
        }

        RequestCompleted?.Invoke(request);
    }
}
