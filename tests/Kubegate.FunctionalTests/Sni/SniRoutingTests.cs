using System.Diagnostics;
using System.Net;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.AccessLog;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Sni;

/// <summary>
/// Several clusters on one port: real TLS clients with and without SNI reach the cluster of the filter chain their
/// SNI selects (exact name, then the longest wildcard, then the default chain), with the ClientHello passed on
/// untouched; a connection no chain matches is closed with NR.
/// </summary>
public sealed class SniRoutingTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private readonly AccessLogFixture _logs = new();
    private readonly Dictionary<string, TlsNameServer> _servers = [];
    private KubegateServer _proxy = null!;

    public async Task InitializeAsync()
    {
        foreach (var name in new[] { "a", "api", "wild", "deep", "default" })
        {
            _servers[name] = new TlsNameServer(name, _ca.ServerCertificate);
        }

        var shared = SniConfig.Listener(
            "shared",
            [
                SniConfig.Chain("a", "a", "a.test"),
                SniConfig.Chain("api", "api", "api.b.test"),
                SniConfig.Chain("wild", "wild", "*.b.test"),
                SniConfig.Chain("deep", "deep", "*.c.b.test"),
            ],
            SniConfig.Chain("default", "default") with { Match = FilterChainMatchConfig.Any });
        var strict = SniConfig.Listener("strict", [SniConfig.Chain("strict", "a", "a.test")]) with
        {
            AccessLog = [AccessLogFixture.FileLog(_logs.LogPath, "%RESPONSE_FLAGS% %REQUESTED_SERVER_NAME% %UPSTREAM_CLUSTER%\n")],
        };
        var bySni = SniConfig.Listener("bysni", [], SniConfig.Chain("bysni", "default") with { Match = FilterChainMatchConfig.Any, SniCluster = true });
        _proxy = new KubegateServer(TestConfig.Snapshot(
            [shared, strict, bySni],
            _servers.Keys.Select(n => TestConfig.Cluster(n)),
            _servers.Select(p => TestConfig.Assignment(p.Key, p.Value.EndPoint))));
        await _proxy.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        foreach (var server in _servers.Values)
        {
            await server.DisposeAsync();
        }

        _logs.Dispose();
        _ca.Dispose();
    }

    [Theory]
    [InlineData("a.test", "a")]
    [InlineData("api.b.test", "api")]        // the exact name beats *.b.test
    [InlineData("foo.b.test", "wild")]
    [InlineData("x.c.b.test", "deep")]       // *.c.b.test is longer than *.b.test
    [InlineData("b.test", "default")]        // *.b.test does not match b.test itself
    [InlineData("other.test", "default")]
    [InlineData(null, "default")]            // no SNI at all
    public async Task TlsClient_BySni_ReachesTheChainsCluster(string? serverName, string expected)
    {
        var answer = await TlsNameServer.AskAsync(_proxy.GetListenerEndPoint("shared"), serverName);

        Assert.Equal(expected, answer);

        // The upstream did the handshake itself, with the SNI the client sent: the ClientHello arrived as sent.
        Assert.Equal([serverName ?? string.Empty], _servers[expected].ServerNames);
        Assert.Equal(1, _proxy.Stats.GetValue("tls_inspector.tls_found"));
        Assert.Equal(serverName is null ? 0 : 1, _proxy.Stats.GetValue("tls_inspector.sni_found"));
        Assert.Equal(1, _proxy.Stats.GetValue($"tcp.{expected}.downstream_cx_total"));
    }

    [Theory]
    [InlineData("api", "api")]
    [InlineData("deep", "deep")]
    [InlineData(null, "default")]           // no SNI: the tcp_proxy's own cluster
    public async Task SniCluster_TheServerNameNamesTheCluster(string? serverName, string expected)
    {
        Assert.Equal(expected, await TlsNameServer.AskAsync(_proxy.GetListenerEndPoint("bysni"), serverName));
    }

    [Fact]
    public async Task SniCluster_UnknownCluster_ClosedWithNoRoute()
    {
        await Assert.ThrowsAnyAsync<IOException>(() => TlsNameServer.AskAsync(_proxy.GetListenerEndPoint("bysni"), "nosuch.test"));

        await Wait.ForStatAsync(_proxy.Stats, "tcp.bysni.downstream_cx_no_route", 1);
    }

    [Fact]
    public async Task NoChainMatches_WithoutDefault_ClosedWithNoFilterChainMatchAndNR()
    {
        var endPoint = _proxy.GetListenerEndPoint("strict");

        await Assert.ThrowsAnyAsync<IOException>(() => TlsNameServer.AskAsync(endPoint, "other.test"));
        Assert.Equal("a", await TlsNameServer.AskAsync(endPoint, "a.test"));

        await Wait.ForStatAsync(_proxy.Stats, "listener.strict.no_filter_chain_match", 1);
        var lines = await AccessLogFixture.WaitForLinesAsync(_logs.LogPath, 2);
        Assert.Contains("NR other.test -", lines);
        Assert.Contains("- a.test a", lines);
        Assert.DoesNotContain("other.test", _servers["a"].ServerNames);
    }

    [Fact]
    public async Task ClientHelloOneByteAtATime_SelectsTheChainAndReachesTheUpstreamUnchanged()
    {
        await using var echo = new TcpEchoServer();
        var hello = await SniConfig.CaptureClientHelloAsync("slow.test");
        await using var server = new KubegateServer(TestConfig.Snapshot(
            [SniConfig.Listener("l", [SniConfig.Chain("slow", "echo", "slow.test")], SniConfig.Chain("other", "other") with { Match = FilterChainMatchConfig.Any })],
            [TestConfig.Cluster("echo"), TestConfig.Cluster("other")],
            [TestConfig.Assignment("echo", echo.EndPoint), TestConfig.Assignment("other", _servers["default"].EndPoint)]));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));

        for (var i = 0; i < hello.Length; i++)
        {
            await client.SendAllAsync(hello.AsMemory(i, 1));

            // Not a wait for an event: spacing the bytes makes each leave as its own TCP segment (NoDelay is on).
            await Task.Delay(1);
            if (i == 0)
            {
                await Wait.ForStatAsync(server.Stats, "listener.l.downstream_pre_cx_active", 1);
            }
        }

        var echoed = await client.ReceiveExactlyAsync(hello.Length).DefaultTimeout();
        Assert.Equal(hello, echoed);
        Assert.Equal(1, server.Stats.GetValue("tcp.slow.downstream_cx_total"));
        Assert.Equal(0, server.Stats.GetValue("tcp.other.downstream_cx_total"));
        Assert.Equal(hello.Length, server.Stats.GetValue("cluster.echo.upstream_cx_tx_bytes_total"));
    }

    [Fact]
    public async Task ClientsWithHalfAClientHello_HoldNoBufferWhileTheyWait()
    {
        var pool = new CountingArrayPool();
        await using var echo = new TcpEchoServer();
        var hello = await SniConfig.CaptureClientHelloAsync("slow.test");
        var listener = SniConfig.Listener("l", [SniConfig.Chain("slow", "echo", "slow.test")]);
        await using var server = new KubegateServer(
            TestConfig.Snapshot([listener], [TestConfig.Cluster("echo")], [TestConfig.Assignment("echo", echo.EndPoint)]),
            new KubegateServerOptions { BufferPool = pool });
        await server.StartAsync();
        var clients = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
                clients.Add(client);
                await client.SendAllAsync(hello.AsMemory(0, hello.Length / 2));
            }

            // Every half hello was peeked at (a buffer rented and returned at once); a connection holding one while it
            // waits would keep Outstanding above zero for as long as it waits.
            await Wait.UntilAsync(() => pool.TotalRented >= 20);
            await Wait.ForStatAsync(server.Stats, "listener.l.downstream_pre_cx_active", 20);
            await Wait.UntilAsync(() => pool.Outstanding == 0);
            Assert.Equal(20, server.Stats.GetValue("listener.l.downstream_pre_cx_active"));

            foreach (var client in clients)
            {
                await client.SendAllAsync(hello.AsMemory(hello.Length / 2));
                Assert.Equal(hello, await client.ReceiveExactlyAsync(hello.Length).DefaultTimeout());
            }

            Assert.Equal(20, server.Stats.GetValue("tcp.slow.downstream_cx_total"));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        await Wait.UntilAsync(() => server.Connections.Count == 0);
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(0, pool.BadReturns);
    }

    [Fact]
    public async Task SilentClient_ClosedByListenerFiltersTimeout()
    {
        await using var echo = new TcpEchoServer();
        var listener = SniConfig.Listener("l", [], SniConfig.Chain("any", "echo") with { Match = FilterChainMatchConfig.Any }) with { ListenerFiltersTimeout = TimeSpan.FromMilliseconds(300) };
        await using var server = new KubegateServer(TestConfig.Snapshot([listener], [TestConfig.Cluster("echo")], [TestConfig.Assignment("echo", echo.EndPoint)]));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var connected = Stopwatch.StartNew();

        Assert.True(await SniConfig.ClosedWithoutDataAsync(client));

        Assert.True(connected.ElapsedMilliseconds >= 250, $"closed after {connected.ElapsedMilliseconds} ms");
        Assert.Equal(1, server.Stats.GetValue("listener.l.downstream_pre_cx_timeout"));
        Assert.Equal(0, server.Stats.GetValue("listener.l.downstream_pre_cx_active"));
        Assert.Equal(0, server.Stats.GetValue("cluster.echo.upstream_cx_total"));
    }

    [Fact]
    public async Task SilentClient_WithContinueOnTimeout_GetsTheRawBufferChainAfterTheTimeout()
    {
        await using var echo = new TcpEchoServer();
        var listener = SniConfig.Listener("l", [SniConfig.Chain("tls", "other", "a.test")], SniConfig.Chain("any", "echo") with { Match = FilterChainMatchConfig.Any }) with
        {
            ListenerFiltersTimeout = TimeSpan.FromMilliseconds(200),
            ContinueOnListenerFiltersTimeout = true,
        };
        await using var server = new KubegateServer(TestConfig.Snapshot(
            [listener],
            [TestConfig.Cluster("echo"), TestConfig.Cluster("other")],
            [TestConfig.Assignment("echo", echo.EndPoint), TestConfig.Assignment("other", _servers["a"].EndPoint)]));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));

        await Wait.ForStatAsync(server.Stats, "cluster.echo.upstream_cx_total", 1);

        Assert.Equal(1, server.Stats.GetValue("listener.l.downstream_pre_cx_timeout"));
        Assert.Equal("ping", await SniConfig.EchoAsync(client, "ping"));
    }

    [Fact]
    public async Task PlainTextClient_IsRawBufferAndTakesTheDefaultChainAtOnce()
    {
        await using var echo = new TcpEchoServer();
        var listener = SniConfig.Listener("l", [SniConfig.Chain("tls", "other", "a.test")], SniConfig.Chain("any", "echo") with { Match = FilterChainMatchConfig.Any });
        await using var server = new KubegateServer(TestConfig.Snapshot(
            [listener],
            [TestConfig.Cluster("echo"), TestConfig.Cluster("other")],
            [TestConfig.Assignment("echo", echo.EndPoint), TestConfig.Assignment("other", _servers["a"].EndPoint)]));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));

        Assert.Equal("GET / HTTP/1.1\r\n", await SniConfig.EchoAsync(client, "GET / HTTP/1.1\r\n"));

        Assert.Equal(1, server.Stats.GetValue("tls_inspector.tls_not_found"));
        Assert.Equal(0, server.Stats.GetValue("listener.l.downstream_pre_cx_timeout"));
    }
}
