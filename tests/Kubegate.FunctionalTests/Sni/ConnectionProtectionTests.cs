using System.Diagnostics;
using System.Net;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.AccessLog;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Sni;

/// <summary>
/// Protection of the apiservers from one client: connection_limit, local_ratelimit, rbac by client address and
/// kubegate's per-client cap, each exact at its boundary, counted and visible in the access log.
/// </summary>
public sealed class ConnectionProtectionTests : IAsyncLifetime
{
    private static readonly IPAddress Second = IPAddress.Parse("127.0.0.2");
    private readonly AccessLogFixture _logs = new();
    private TcpEchoServer _echo = null!;

    public Task InitializeAsync()
    {
        _echo = new TcpEchoServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _echo.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task ConnectionLimit_AdmitsExactlyMaxAndOneMoreOnceOneCloses()
    {
        await using var server = await StartAsync(new ConnectionLimitConfig { StatPrefix = "cap", MaxConnections = 2 });
        var endPoint = server.GetListenerEndPoint("l");
        var first = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        using var second = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        try
        {
            Assert.Equal("1", await SniConfig.EchoAsync(first, "1"));
            Assert.Equal("2", await SniConfig.EchoAsync(second, "2"));

            using (var third = await SocketTestExtensions.ConnectTcpAsync(endPoint))
            {
                Assert.True(await SniConfig.ClosedWithoutDataAsync(third));
            }

            Assert.Equal(1, server.Stats.GetValue("connection_limit.cap.limited_connections"));
            Assert.Equal(2, server.Stats.GetValue("connection_limit.cap.active_connections"));

            first.Dispose();
            await Wait.ForStatAsync(server.Stats, "connection_limit.cap.active_connections", 1);
            using var fourth = await SocketTestExtensions.ConnectTcpAsync(endPoint);
            Assert.Equal("4", await SniConfig.EchoAsync(fourth, "4"));
            Assert.Equal(1, server.Stats.GetValue("connection_limit.cap.limited_connections"));
            Assert.Equal(3, _echo.Accepted);
        }
        finally
        {
            first.Dispose();
        }

        var lines = await AccessLogFixture.WaitForLinesAsync(_logs.LogPath, 1);
        Assert.Contains("connection_limit_exceeded 127.0.0.1", lines);
    }

    [Fact]
    public async Task ConnectionLimitWithDelay_HoldsTheRefusedConnectionForTheDelay()
    {
        await using var server = await StartAsync(new ConnectionLimitConfig { StatPrefix = "cap", MaxConnections = 1, Delay = TimeSpan.FromMilliseconds(400) });
        var endPoint = server.GetListenerEndPoint("l");
        using var first = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        Assert.Equal("1", await SniConfig.EchoAsync(first, "1"));

        using var refused = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        var connected = Stopwatch.StartNew();
        Assert.True(await SniConfig.ClosedWithoutDataAsync(refused));

        Assert.True(connected.ElapsedMilliseconds >= 350, $"closed after {connected.ElapsedMilliseconds} ms");
        Assert.Equal(1, server.Stats.GetValue("connection_limit.cap.limited_connections"));
        Assert.Equal(1, _echo.Accepted);
    }

    [Fact]
    public async Task LocalRateLimit_AdmitsExactlyTheBucketThenRefuses()
    {
        await using var server = await StartAsync(new LocalRateLimitConfig { StatPrefix = "rate", MaxTokens = 2, FillInterval = TimeSpan.FromHours(1) });
        var endPoint = server.GetListenerEndPoint("l");

        for (var i = 0; i < 2; i++)
        {
            using var admitted = await SocketTestExtensions.ConnectTcpAsync(endPoint);
            Assert.Equal("ok", await SniConfig.EchoAsync(admitted, "ok"));
        }

        using var refused = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        Assert.True(await SniConfig.ClosedWithoutDataAsync(refused));
        Assert.Equal(1, server.Stats.GetValue("local_ratelimit.rate.rate_limited"));
        Assert.Equal(2, _echo.Accepted);
    }

    [Fact]
    public async Task Rbac_DeniesTheSecondLoopbackAddressAndAllowsTheFirst()
    {
        var rbac = new RbacConfig
        {
            StatPrefix = "guard",
            Rules = new RbacRulesConfig
            {
                Action = RbacAction.Deny,
                Policies = [new RbacPolicyConfig { Name = "blocked", Permissions = [Any], Principals = [From("127.0.0.2", 32)] }],
            },
            ShadowRules = new RbacRulesConfig
            {
                Action = RbacAction.Allow,
                Policies = [new RbacPolicyConfig { Name = "first-only", Permissions = [Any], Principals = [From("127.0.0.1", 32)] }],
            },
        };
        await using var server = await StartAsync(rbac);
        var endPoint = server.GetListenerEndPoint("l");

        using (var denied = await SniConfig.ConnectFromAsync(Second, endPoint))
        {
            Assert.True(await SniConfig.ClosedWithoutDataAsync(denied));
        }

        using (var allowed = await SniConfig.ConnectFromAsync(IPAddress.Loopback, endPoint))
        {
            Assert.Equal("ok", await SniConfig.EchoAsync(allowed, "ok"));
        }

        Assert.Equal(1, server.Stats.GetValue("guard.rbac.denied"));
        Assert.Equal(1, server.Stats.GetValue("guard.rbac.allowed"));
        Assert.Equal(1, server.Stats.GetValue("guard.rbac.shadow_denied"));
        Assert.Equal(1, server.Stats.GetValue("guard.rbac.shadow_allowed"));
        Assert.Equal(1, _echo.Accepted);
        var lines = await AccessLogFixture.WaitForLinesAsync(_logs.LogPath, 2);
        Assert.Contains("rbac_access_denied_matched_policy[blocked] 127.0.0.2", lines);
    }

    [Fact]
    public async Task PerClientCap_RefusesTheClientOverItButNotAnotherAddress()
    {
        await using var server = await StartAsync(filter: null, maxPerClient: 2);
        var endPoint = server.GetListenerEndPoint("l");
        var first = await SniConfig.ConnectFromAsync(IPAddress.Loopback, endPoint);
        using var second = await SniConfig.ConnectFromAsync(IPAddress.Loopback, endPoint);
        try
        {
            Assert.Equal("1", await SniConfig.EchoAsync(first, "1"));
            Assert.Equal("2", await SniConfig.EchoAsync(second, "2"));

            using (var third = await SniConfig.ConnectFromAsync(IPAddress.Loopback, endPoint))
            {
                Assert.True(await SniConfig.ClosedWithoutDataAsync(third));
            }

            using (var other = await SniConfig.ConnectFromAsync(Second, endPoint))
            {
                Assert.Equal("3", await SniConfig.EchoAsync(other, "3"));
            }

            Assert.Equal(1, server.Stats.GetValue("listener.l.kubegate.downstream_cx_client_limited"));

            first.Dispose();
            var listener = server.Listeners.Find("l")!;
            await Wait.UntilAsync(() => listener.OpenConnectionsOf(IPAddress.Loopback) == 1);
            using var again = await SniConfig.ConnectFromAsync(IPAddress.Loopback, endPoint);
            Assert.Equal("4", await SniConfig.EchoAsync(again, "4"));
        }
        finally
        {
            first.Dispose();
        }

        var lines = await AccessLogFixture.WaitForLinesAsync(_logs.LogPath, 1);
        Assert.Contains("kubegate_client_connection_limit 127.0.0.1", lines);
    }

    private static RbacMatchConfig Any => new() { Kind = RbacMatchKind.Any };

    private static RbacMatchConfig From(string address, int length) => new() { Kind = RbacMatchKind.SourceIp, Cidr = new CidrRangeConfig(IPAddress.Parse(address), length) };

    /// <summary>Listener "l" (no tls_inspector) with one chain: <paramref name="filter"/>, then tcp_proxy to the echo server.</summary>
    private async Task<KubegateServer> StartAsync(NetworkFilterConfig? filter, long? maxPerClient = null)
    {
        var chain = new FilterChainConfig
        {
            Filters = filter is null ? [] : [filter],
            TcpProxy = new TcpProxyConfig { StatPrefix = "l", Cluster = "echo" },
        };
        var listener = SniConfig.Listener("l", [chain], inspector: false) with
        {
            MaxConnectionsPerClient = maxPerClient,
            AccessLog = [AccessLogFixture.FileLog(_logs.LogPath, "%CONNECTION_TERMINATION_DETAILS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%\n")],
        };
        var server = new KubegateServer(TestConfig.Snapshot([listener], [TestConfig.Cluster("echo")], [TestConfig.Assignment("echo", _echo.EndPoint)]));
        await server.StartAsync();
        return server;
    }
}
