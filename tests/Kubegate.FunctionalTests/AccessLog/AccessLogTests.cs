using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kubegate.AccessLog;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.AccessLog;

public sealed class AccessLogTests : IDisposable
{
    private readonly AccessLogFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task SeedFormat_EchoConnection_OneLineWithTheConnectionsFields()
    {
        await using var echo = new TcpEchoServer();
        var log = AccessLogFixture.FileLog(_fixture.LogPath, AccessLogFixture.SeedFormat);
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint], tcp => AccessLogFixture.WithLog(tcp, log)));
        await server.StartAsync();

        await EchoOnceAsync(server.GetListenerEndPoint("l"), "hello");

        var lines = await AccessLogFixture.WaitForLinesAsync(_fixture.LogPath, 1);
        Assert.Single(lines);
        var pattern = @"^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] - - - \S+ - 5 5 \d+ - 127\.0\.0\.1 "
            + Regex.Escape(echo.EndPoint.ToString()) + @" c 127\.0\.0\.1:\d+ 127\.0\.0\.1 - - - - -$";
        Assert.Matches(pattern, lines[0]);
    }

    [Fact]
    public async Task JsonFormat_EchoConnection_OneJsonObjectPerLine()
    {
        await using var echo = new TcpEchoServer();
        var log = AccessLogFixture.FileLog(_fixture.LogPath, json:
        [
            new("flags", "%RESPONSE_FLAGS%"),
            new("upstream", "%UPSTREAM_HOST%"),
            new("cluster", "%UPSTREAM_CLUSTER%"),
            new("rx", "%BYTES_RECEIVED%"),
        ]);
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint], tcp => AccessLogFixture.WithLog(tcp, log)));
        await server.StartAsync();

        await EchoOnceAsync(server.GetListenerEndPoint("l"), "abc");

        var lines = await AccessLogFixture.WaitForLinesAsync(_fixture.LogPath, 1);
        using var json = JsonDocument.Parse(Assert.Single(lines));
        var root = json.RootElement;
        Assert.Equal("-", root.GetProperty("flags").GetString());
        Assert.Equal(echo.EndPoint.ToString(), root.GetProperty("upstream").GetString());
        Assert.Equal("c", root.GetProperty("cluster").GetString());
        var rx = root.GetProperty("rx");
        Assert.Equal("3", rx.ValueKind == JsonValueKind.Number ? rx.GetRawText() : rx.GetString());
    }

    [Fact]
    public async Task RefusedUpstream_EntryHasUfUrxAndTheFailureReason()
    {
        var dead = DeadEndPoint.Create();
        var log = AccessLogFixture.FileLog(_fixture.LogPath, "%RESPONSE_FLAGS% %UPSTREAM_HOST% %UPSTREAM_TRANSPORT_FAILURE_REASON% %UPSTREAM_REQUEST_ATTEMPT_COUNT%\n");
        await using var server = new KubegateServer(TestConfig.Simple([dead], tcp => AccessLogFixture.WithLog(tcp, log)));
        await server.StartAsync();

        using (var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l")))
        {
            await client.ReceiveUntilClosedAsync();
        }

        var lines = await AccessLogFixture.WaitForLinesAsync(_fixture.LogPath, 1);
        Assert.Equal($"UF,URX {dead} delayed_connect_error:_Connection_refused 1", Assert.Single(lines));
    }

    [Fact]
    public async Task TlsClient_RequestedServerNameIsTheSni()
    {
        using var ca = TestCertificateAuthority.Create();
        await using var tls = new TlsEchoServer(ca);
        var log = AccessLogFixture.FileLog(_fixture.LogPath, "%REQUESTED_SERVER_NAME% %RESPONSE_FLAGS%\n");
        await using var server = new KubegateServer(TestConfig.Simple([tls.EndPoint], tcp => AccessLogFixture.WithLog(tcp, log)));
        await server.StartAsync();

        using (var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l")))
        await using (var ssl = new SslStream(new NetworkStream(client, ownsSocket: false), leaveInnerStreamOpen: false, (_, _, _, _) => true))
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "kubernetes.default" }).TimeoutAfter(TimeSpan.FromSeconds(10));
            await ssl.WriteAsync("ping"u8.ToArray());
            var buffer = new byte[4];
            await ssl.ReadExactlyAsync(buffer).AsTask().TimeoutAfter(TimeSpan.FromSeconds(10));
            Assert.Equal("ping", Encoding.ASCII.GetString(buffer));
        }

        var lines = await AccessLogFixture.WaitForLinesAsync(_fixture.LogPath, 1);
        Assert.Equal("kubernetes.default -", Assert.Single(lines));
    }

    [Fact]
    public async Task PlainTcpClient_RequestedServerNameIsDash()
    {
        await using var echo = new TcpEchoServer();
        var log = AccessLogFixture.FileLog(_fixture.LogPath, "%REQUESTED_SERVER_NAME%\n");
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint], tcp => AccessLogFixture.WithLog(tcp, log)));
        await server.StartAsync();

        await EchoOnceAsync(server.GetListenerEndPoint("l"), "GET / HTTP/1.1\r\n\r\n");

        var lines = await AccessLogFixture.WaitForLinesAsync(_fixture.LogPath, 1);
        Assert.Equal("-", Assert.Single(lines));
    }

    [Fact]
    public async Task FlushInterval_LongConnection_IntermediateEntriesWhileOpen()
    {
        await using var echo = new TcpEchoServer();
        var log = AccessLogFixture.FileLog(_fixture.LogPath, "%CONNECTION_TERMINATION_DETAILS% %BYTES_RECEIVED%\n");
        var options = new AccessLogOptionsConfig { FlushInterval = TimeSpan.FromSeconds(1), FlushOnConnected = true };
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint], tcp => AccessLogFixture.WithLog(tcp, log, options)));
        await server.StartAsync();

        using (var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l")))
        {
            await client.SendAllAsync("hi"u8.ToArray());
            await client.ReceiveExactlyAsync(2);

            // On-connect entry plus at least two periodic ones while the connection stays open.
            var open = await AccessLogFixture.WaitForLinesAsync(_fixture.LogPath, 3, TimeSpan.FromSeconds(6));
            Assert.Equal(1, server.Connections.Count);
            Assert.All(open, line => Assert.StartsWith("- ", line, StringComparison.Ordinal));
        }

        await Wait.ForStatAsync(server.Stats, "listener.127.0.0.1_0.downstream_cx_active", 0);
        var before = AccessLogFixture.ReadLines(_fixture.LogPath).Length;
        var lines = await AccessLogFixture.WaitForLinesAsync(_fixture.LogPath, before + 1, TimeSpan.FromSeconds(5));
        Assert.Equal("- 2", lines[^1]);
    }

    [Fact]
    public async Task ReopenAfterMove_NoLineLost()
    {
        await using var echo = new TcpEchoServer();
        var log = AccessLogFixture.FileLog(_fixture.LogPath, "%CONNECTION_ID%\n");
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint], tcp => AccessLogFixture.WithLog(tcp, log)));
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l");

        for (var i = 0; i < 3; i++)
        {
            await EchoOnceAsync(endPoint, "x");
        }

        // logrotate: move the file away while lines may still be queued, then ask for a reopen.
        await Wait.ForStatAsync(server.Stats, "listener.127.0.0.1_0.downstream_cx_destroy", 3);
        var rotated = _fixture.LogPath + ".1";
        File.Move(_fixture.LogPath, rotated);
        server.ReopenLogs();
        await Wait.UntilAsync(() => File.Exists(_fixture.LogPath), TimeSpan.FromSeconds(5));

        for (var i = 0; i < 3; i++)
        {
            await EchoOnceAsync(endPoint, "y");
        }

        var newLines = await AccessLogFixture.WaitForLinesAsync(_fixture.LogPath, 1);
        await Wait.UntilAsync(() => AccessLogFixture.ReadLines(rotated).Length + AccessLogFixture.ReadLines(_fixture.LogPath).Length >= 6, TimeSpan.FromSeconds(10));
        var all = AccessLogFixture.ReadLines(rotated).Concat(AccessLogFixture.ReadLines(_fixture.LogPath)).Select(long.Parse).Order().ToArray();
        Assert.Equal(6, all.Length);
        Assert.Equal(6, all.Distinct().Count());
        Assert.NotEmpty(newLines);
    }

    [Fact]
    public async Task AdminReopenLogs_ReopensProxyAccessLogs()
    {
        await using var echo = new TcpEchoServer();
        var log = AccessLogFixture.FileLog(_fixture.LogPath, "%CONNECTION_ID%\n");
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint], tcp => AccessLogFixture.WithLog(tcp, log)));
        await server.StartAsync();
        var handlers = new Kubegate.Admin.AdminHandlers(server, TimeProvider.System);

        File.Move(_fixture.LogPath, _fixture.LogPath + ".1");
        var response = handlers.Handle("POST", "/reopen_logs", new Dictionary<string, string>());

        Assert.Equal(1, server.Stats.GetValue("access_log.reopen_total"));
        Assert.Equal(200, response.StatusCode);
        await Wait.UntilAsync(() => File.Exists(_fixture.LogPath), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task UnwritableAtRunTime_CountsErrorsAndKeepsServing()
    {
        // Linux's /dev/full fails every write with ENOSPC: a full disk on demand.
        Assert.True(File.Exists("/dev/full"), "this test needs /dev/full (Linux)");

        await using var echo = new TcpEchoServer();
        var log = AccessLogFixture.FileLog("/dev/full", "%CONNECTION_ID%\n");
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint], tcp => AccessLogFixture.WithLog(tcp, log)));
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l");

        await EchoOnceAsync(endPoint, "one");
        await Wait.UntilAsync(() => server.Stats.GetValue("filesystem.write_failed") >= 1, TimeSpan.FromSeconds(5));
        await EchoOnceAsync(endPoint, "two");
        await Wait.UntilAsync(() => server.Stats.GetValue("access_log.lines_dropped") >= 2, TimeSpan.FromSeconds(5));

        Assert.Equal(2, server.Stats.GetValue("cluster.c.upstream_cx_total"));
    }

    [Fact]
    public async Task UnopenableFile_StartFailsNamingTheFile()
    {
        await using var echo = new TcpEchoServer();
        var path = Path.Combine(_fixture.Directory, "missing-dir", "access.log");
        var log = AccessLogFixture.FileLog(path, "%CONNECTION_ID%\n");
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint], tcp => AccessLogFixture.WithLog(tcp, log)));

        var error = await Assert.ThrowsAsync<AccessLogOpenException>(() => server.StartAsync());

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    private static async Task EchoOnceAsync(IPEndPoint endPoint, string text)
    {
        var data = Encoding.ASCII.GetBytes(text);
        using var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        await client.SendAllAsync(data);
        Assert.Equal(data, await client.ReceiveExactlyAsync(data.Length));
        client.Shutdown(SocketShutdown.Send);
        await client.ReceiveUntilClosedAsync();
    }

    /// <summary>A TLS server on loopback that echoes what it decrypts.</summary>
    private sealed class TlsEchoServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly TestCertificateAuthority _ca;
        private readonly Task _accept;

        public TlsEchoServer(TestCertificateAuthority ca)
        {
            _ca = ca;
            _listener.Start();
            EndPoint = (IPEndPoint)_listener.LocalEndpoint;
            _accept = AcceptAsync();
        }

        public IPEndPoint EndPoint { get; }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            try
            {
                await _accept;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync();
                _ = EchoAsync(client);
            }
        }

        private async Task EchoAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    await using var ssl = new SslStream(client.GetStream());
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _ca.ServerCertificate });
                    var buffer = new byte[4096];
                    int read;
                    while ((read = await ssl.ReadAsync(buffer)) > 0)
                    {
                        await ssl.WriteAsync(buffer.AsMemory(0, read));
                    }
                }
                catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
                {
                }
            }
        }
    }
}
