using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kubegate.Configuration;
using Kubegate.Hosting;
using Kubegate.Proxy;
using Kubegate.Testing;
using Kubegate.Tests.Health;

namespace Kubegate.Tests.Proxy;

/// <summary>
/// The shutdown drain on the connection heartbeat, with real 127.0.0.1 connections and a clock that moves only when
/// told: which connections each strategy closes, and when.
/// </summary>
public sealed class ConnectionManagerTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new();
    private readonly Socket _upstream = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _sockets = [];
    private KubegateServer _server = null!;

    public Task InitializeAsync()
    {
        _upstream.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _upstream.Listen(16);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _sockets.ForEach(s => s.Dispose());
        _upstream.Dispose();
    }

    [Fact]
    public async Task DrainAsync_Gradual_ClosesQuietConnectionsOneAtATimeAcrossTheWindow()
    {
        await StartAsync(DrainStrategy.Gradual, TimeSpan.FromSeconds(40));
        var clients = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            clients.Add((await ConnectAsync()).Client);
        }

        var stop = await BeginStopAsync();
        var schedule = _server.Connections.ShutdownDrain!;
        var order = _server.Connections.Connections.Select(c => c.Id).OrderBy(schedule.DrainPoint).ToArray();

        // Three connections over 40 s: due at 10, 20 and 30 s, each closed at the first heartbeat it is due and quiet.
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, DrainClosedQuiet);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, DrainClosedQuiet);
        await UntilAsync(() => !_server.Connections.Connections.Any(c => c.Id == order[0]));
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(1, DrainClosedQuiet);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, DrainClosedQuiet);
        await UntilAsync(() => _server.Connections.Connections.Select(c => c.Id).SequenceEqual([order[2]]));
        _time.Advance(TimeSpan.FromSeconds(10));

        await stop.DefaultTimeout();
        Assert.Equal(3, DrainClosedQuiet);
        Assert.Equal(0, _server.Stats.GetValue("server.drain_closed_forced"));
        foreach (var client in clients)
        {
            Assert.Equal(0, await client.ReceiveAsync(new byte[1]).DefaultTimeout());
        }
    }

    [Fact]
    public async Task DrainAsync_Immediate_QuietOnesCloseAtOnceBusyOneWhenItGoesQuiet()
    {
        await StartAsync(DrainStrategy.Immediate, TimeSpan.FromSeconds(600));
        var quiet = await ConnectAsync();
        var busy = await ConnectAsync();
        _time.Advance(TimeSpan.FromSeconds(5));

        // Both have been quiet 5 s; the busy one moves bytes now, as the drain starts.
        await RelayAsync(busy);
        var stop = await BeginStopAsync();

        Assert.Equal(1, DrainClosedQuiet);
        Assert.Equal(0, await quiet.Client.ReceiveAsync(new byte[1]).DefaultTimeout());
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await RelayAsync(busy);
        _time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.Equal(1, DrainClosedQuiet);
        _time.Advance(TimeSpan.FromMilliseconds(1100));
        Assert.Equal(2, DrainClosedQuiet);

        await stop.DefaultTimeout();
        Assert.Equal(0, await busy.Client.ReceiveAsync(new byte[1]).DefaultTimeout());
    }

    [Fact]
    public async Task DrainAsync_NeverQuiet_ClosedAtTheDeadlineAndCountedAsForced()
    {
        await StartAsync(DrainStrategy.Immediate, TimeSpan.FromSeconds(5));
        var busy = await ConnectAsync();
        var stop = await BeginStopAsync();

        for (var i = 0; i < 9; i++)
        {
            await RelayAsync(busy);
            _time.Advance(TimeSpan.FromMilliseconds(500));
            Assert.False(stop.IsCompleted, $"stopped after {(i + 1) * 500} ms");
        }

        await RelayAsync(busy);
        _time.Advance(TimeSpan.FromMilliseconds(500));

        await stop.DefaultTimeout();
        Assert.Equal(0, DrainClosedQuiet);
        Assert.Equal(1, _server.Stats.GetValue("server.drain_closed_forced"));
        Assert.Equal(0, await busy.Client.ReceiveAsync(new byte[1]).DefaultTimeout());
    }

    [Fact]
    public async Task CutDrainShort_DuringDrain_ClosesEverythingNow()
    {
        await StartAsync(DrainStrategy.Gradual, TimeSpan.FromSeconds(600));
        var connection = await ConnectAsync();
        var stop = await BeginStopAsync();

        _server.CutDrainShort();

        await stop.DefaultTimeout();
        Assert.Equal(1, _server.Stats.GetValue("server.drain_closed_forced"));
        Assert.Equal(0, await connection.Client.ReceiveAsync(new byte[1]).DefaultTimeout());
    }

    private long DrainClosedQuiet => _server.Stats.GetValue("server.drain_closed_quiet");

    private static async Task UntilAsync(Func<bool> condition)
    {
        // Closing is asynchronous (the copy loops end, then the connection leaves the manager): poll, bounded.
        var deadline = Stopwatch.StartNew();
        while (!condition() && deadline.Elapsed < Kubegate.Testing.TaskExtensions.DefaultTimeoutValue)
        {
            await Task.Delay(5);
        }

        Assert.True(condition());
    }

    private async Task StartAsync(DrainStrategy strategy, TimeSpan drainTime)
    {
        var snapshot = new ConfigSnapshot
        {
            Bootstrap = new BootstrapConfig { Path = "test" },
            Listeners =
            [
                new ListenerConfig
                {
                    Name = "l",
                    Address = new SocketAddressConfig(IPAddress.Loopback, 0),
                    StatPrefix = "l",
                    TcpProxy = new TcpProxyConfig { StatPrefix = "l", Cluster = "c" },
                },
            ],
            Clusters = [new ClusterConfig { Name = "c" }],
            Assignments = ImmutableDictionary.CreateRange(StringComparer.Ordinal, [
                KeyValuePair.Create("c", new ClusterLoadAssignmentConfig
                {
                    ClusterName = "c",
                    Endpoints = [new LbEndpointConfig { Address = new SocketAddressConfig(IPAddress.Loopback, ((IPEndPoint)_upstream.LocalEndPoint!).Port) }],
                }),
            ]),
        };
        _server = new KubegateServer(snapshot, new KubegateServerOptions { TimeProvider = _time, DrainTime = drainTime, DrainStrategy = strategy });
        await _server.StartAsync().DefaultTimeout();
    }

    /// <summary>A proxied connection that relays (a byte went through to the upstream): its client and upstream ends.</summary>
    private async Task<(Socket Client, Socket Server)> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(client);
        await client.ConnectAsync(_server.GetListenerEndPoint("l")).DefaultTimeout();
        var server = await _upstream.AcceptAsync().DefaultTimeout();
        _sockets.Add(server);
        var pair = (client, server);
        await RelayAsync(pair);
        return pair;
    }

    /// <summary>One byte client → upstream: activity on the connection at the fake clock's now.</summary>
    private static async Task RelayAsync((Socket Client, Socket Server) connection)
    {
        await connection.Client.SendAsync(new byte[] { 1 }).DefaultTimeout();
        Assert.Equal(1, await connection.Server.ReceiveAsync(new byte[1]).DefaultTimeout());
    }

    /// <summary>Starts the stop and returns once the drain is planned (listeners closed, schedule made).</summary>
    private async Task<Task> BeginStopAsync()
    {
        var stop = _server.StopAsync();
        await UntilAsync(() => _server.Connections.ShutdownDrain is not null);
        return stop;
    }
}
