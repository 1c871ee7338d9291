using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Kubegate.Configuration;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.Tests.Hosting;

/// <summary><see cref="KubegateServer.ApplyAsync"/> on 127.0.0.1 sockets (accepting is all these tests need).</summary>
public class KubegateServerTests
{
    [Fact]
    public async Task ApplyAsync_ListenerAdded_AcceptsAndCounted()
    {
        await using var server = await StartAsync(Snapshot([Listener("a")]));

        var failures = await server.ApplyAsync(Snapshot([Listener("a"), Listener("b")])).DefaultTimeout();

        Assert.Empty(failures);
        await AssertAcceptsAsync(server.GetListenerEndPoint("b"));
        Assert.Equal(2, server.Stats.GetValue("listener_manager.listener_added"));
        Assert.Equal(2, server.Stats.GetValue("listener_manager.total_listeners_active"));
        Assert.Equal(["a", "b"], server.Snapshot.Listeners.Select(l => l.Name));
    }

    [Fact]
    public async Task ApplyAsync_ListenerChangedOnSameAddress_KeepsSocketNewSettingsForNewConnections()
    {
        await using var server = await StartAsync(Snapshot([Listener("a")]));
        var before = server.Listeners.Find("a")!;
        var endPoint = server.GetListenerEndPoint("a");

        await server.ApplyAsync(Snapshot([Listener("a", idle: TimeSpan.FromSeconds(7))])).DefaultTimeout();

        var after = server.Listeners.Find("a")!;
        Assert.Same(before, after);
        Assert.Equal(endPoint, server.GetListenerEndPoint("a"));
        Assert.Equal(TimeSpan.FromSeconds(7), after.Runtime.Chains[0].TcpProxy.IdleTimeout);
        Assert.Equal(1, server.Stats.GetValue("listener_manager.listener_modified"));
        Assert.Equal(0, server.Stats.GetValue("listener_manager.listener_removed"));
        await AssertAcceptsAsync(endPoint);
    }

    [Fact]
    public async Task ApplyAsync_ListenerRemoved_StopsAcceptingAtOnce()
    {
        await using var server = await StartAsync(Snapshot([Listener("a"), Listener("b")]));
        var endPoint = server.GetListenerEndPoint("b");

        await server.ApplyAsync(Snapshot([Listener("a")])).DefaultTimeout();

        Assert.Null(server.Listeners.Find("b"));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(endPoint).DefaultTimeout());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.Equal(1, server.Stats.GetValue("listener_manager.listener_removed"));
        Assert.Equal(1, server.Stats.GetValue("listener_manager.total_listeners_active"));
    }

    [Fact]
    public async Task ApplyAsync_AddressTaken_OthersAppliedAndRetriedLater()
    {
        var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        await using var server = await StartAsync(Snapshot([Listener("a")]));
        var next = Snapshot([Listener("a"), Listener("busy", port: port), Listener("c")]);

        var failures = await server.ApplyAsync(next).DefaultTimeout();

        var failure = Assert.Single(failures);
        Assert.Equal("busy", failure.Name);
        Assert.Equal($"127.0.0.1:{port}", failure.Address);
        await AssertAcceptsAsync(server.GetListenerEndPoint("c"));
        Assert.Equal(1, server.Stats.GetValue("listener_manager.listener_create_failure"));
        Assert.True(server.Listeners.HasFailedListeners);

        taken.Dispose();
        Assert.Empty(await server.ApplyAsync(next).DefaultTimeout());
        await AssertAcceptsAsync(server.GetListenerEndPoint("busy"));
        Assert.Equal(3, server.Stats.GetValue("listener_manager.listener_added"));
        Assert.False(server.Listeners.HasFailedListeners);
    }

    [Fact]
    public async Task ApplyAsync_OnlyListenersChanged_ClustersUntouched()
    {
        await using var server = await StartAsync(Snapshot([Listener("a")]));
        server.Clusters.TryGet("c", out var before);
        var available = before.AvailableHosts;

        await server.ApplyAsync(Snapshot([Listener("a"), Listener("b")])).DefaultTimeout();

        server.Clusters.TryGet("c", out var after);
        Assert.Same(before, after);
        Assert.Same(available, after.AvailableHosts);
        Assert.Equal(1, server.Stats.GetValue("cluster.c.membership_change"));
    }

    [Fact]
    public async Task ApplyAsync_ClusterRemovedAndAdded_StateOfTheWorld()
    {
        await using var server = await StartAsync(Snapshot([Listener("a")]));

        await server.ApplyAsync(Snapshot([Listener("a")], clusters: ["d"])).DefaultTimeout();

        Assert.False(server.Clusters.TryGet("c", out _));
        Assert.True(server.Clusters.TryGet("d", out _));
        Assert.Equal(1, server.Stats.GetValue("cluster_manager.cluster_removed"));
        Assert.Equal(2, server.Stats.GetValue("cluster_manager.cluster_added"));
    }

    [Fact]
    public async Task ApplyAsync_AfterStop_ChangesNothing()
    {
        await using var server = await StartAsync(Snapshot([Listener("a")]));
        await server.StopAsync().DefaultTimeout();

        await server.ApplyAsync(Snapshot([Listener("a"), Listener("b")])).DefaultTimeout();

        Assert.Null(server.Listeners.Find("b"));
    }

    [Fact]
    public async Task ApplyAsync_AccessLogFileRemoved_FileClosedOthersKept()
    {
        using var paths = TestPaths.Create();
        var kept = Path.Combine(paths.Directory, "kept.log");
        var removed = Path.Combine(paths.Directory, "removed.log");
        await using var server = await StartAsync(Snapshot([Listener("a", accessLog: kept), Listener("b", accessLog: removed)]));
        Assert.Equal(2, server.LogFiles.Writers.Count);

        await server.ApplyAsync(Snapshot([Listener("a", accessLog: kept)])).DefaultTimeout();

        Assert.Equal(kept, Assert.Single(server.LogFiles.Writers).Path);
    }

    private static async Task<KubegateServer> StartAsync(ConfigSnapshot snapshot)
    {
        var server = new KubegateServer(snapshot, new KubegateServerOptions { DrainTime = TimeSpan.FromSeconds(1) });
        await server.StartAsync().DefaultTimeout();
        return server;
    }

    private static async Task AssertAcceptsAsync(IPEndPoint endPoint)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(endPoint).DefaultTimeout();
    }

    private static ListenerConfig Listener(string name, int port = 0, TimeSpan? idle = null, string? accessLog = null) => new()
    {
        Name = name,
        Address = new SocketAddressConfig(IPAddress.Loopback, port),
        StatPrefix = name,
        TcpProxy = new TcpProxyConfig { StatPrefix = name, Cluster = "c", IdleTimeout = idle ?? TcpProxyConfig.DefaultIdleTimeout },
        AccessLog = accessLog is null
            ? []
            : [new AccessLogConfig { Name = "file", TypeUrl = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog", Path = accessLog }],
    };

    private static ConfigSnapshot Snapshot(ListenerConfig[] listeners, string[]? clusters = null)
    {
        clusters ??= ["c"];
        return new ConfigSnapshot
        {
            Bootstrap = new BootstrapConfig { Path = "test" },
            Listeners = listeners,
            Clusters = [.. clusters.Select(c => new ClusterConfig { Name = c })],
            Assignments = clusters.ToImmutableDictionary(
                c => c,
                c => new ClusterLoadAssignmentConfig
                {
                    ClusterName = c,
                    Endpoints = [new LbEndpointConfig { Address = new SocketAddressConfig(IPAddress.Loopback, 9) }],
                },
                StringComparer.Ordinal),
        };
    }
}
