using System.Net.Sockets;
using Kubegate.Configuration.Watching;
using Kubegate.Hosting;
using Kubegate.Testing;
using Kubegate.Tests.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.Hosting;

/// <summary>The service end to end on real files: write a file, await the reload the watcher triggers.</summary>
public class ConfigReloadServiceTests : IAsyncLifetime
{
    private readonly ConfigFiles _files = new();
    private KubegateServer _server = null!;
    private ConfigReloadService _service = null!;

    public async Task InitializeAsync()
    {
        _files.WriteDefaults();

        // No admin section: these tests start several servers at once.
        _files.Write("envoy.yaml", ConfigFiles.DefaultBootstrap[..ConfigFiles.DefaultBootstrap.IndexOf("admin:", StringComparison.Ordinal)]);
        _files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 0, "c1", address: "127.0.0.1")));
        var loader = _files.Loader();
        var initial = ConfigFileSet.Load(loader, "envoy.yaml");
        _server = new KubegateServer(initial.Snapshot!);
        await _server.StartAsync();
        _service = new ConfigReloadService(_server, loader, initial, NullLoggerFactory.Instance);
        await _service.StartAsync(CancellationToken.None);

        // The start-up check (files changed while the watches were set up) has run once this returns.
        await _service.Reloader!.ReloadAllAsync(force: false).DefaultTimeout();
    }

    public async Task DisposeAsync()
    {
        await _service.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task StartAsync_ListenerFileWrittenInPlace_NewListenerAccepting()
    {
        var accepted = NextResult(r => r.Subscription == "lds" && r.Outcome != ReloadOutcome.Unchanged);

        _files.Write("lds.yaml", ConfigFiles.Lds(ConfigFiles.Listener("l1", 0, "c1", address: "127.0.0.1"), ConfigFiles.Listener("l2", 0, "c1", address: "127.0.0.1")));

        Assert.Equal(ReloadOutcome.Accepted, (await accepted.DefaultTimeout()).Outcome);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(_server.GetListenerEndPoint("l2")).DefaultTimeout();
        Assert.Equal(2, _server.Stats.GetValue("listener_manager.lds.update_attempt"));
    }

    [Fact]
    public async Task StartAsync_SameBytesWrittenAgain_SkippedAndNotCounted()
    {
        var skipped = NextResult(r => r.Subscription == "cds" && r.Outcome == ReloadOutcome.Unchanged);
        var path = Path.Combine(_files.Directory, "cds.yaml");

        await File.WriteAllBytesAsync(path, await File.ReadAllBytesAsync(path));

        await skipped.DefaultTimeout();
        Assert.Equal(1, _server.Stats.GetValue("cluster_manager.cds.update_attempt"));
    }

    [Fact]
    public async Task StartAsync_EndpointFileBroken_FailureCountedAndEndpointsKept()
    {
        var failed = NextResult(r => r.Subscription == "eds (cluster c1)" && r.Outcome == ReloadOutcome.Failed);

        _files.Write("eds_c1.yaml", "resources: [");

        await failed.DefaultTimeout();
        Assert.Equal(1, _server.Stats.GetValue("cluster.c1.update_failure"));
        Assert.True(_server.Clusters.TryGet("c1", out var cluster));
        Assert.Equal("10.0.0.1:6443", Assert.Single(cluster.AllHosts.Hosts).AddressText);
    }

    private Task<ReloadResult> NextResult(Func<ReloadResult, bool> match)
    {
        var next = new TaskCompletionSource<ReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _service.Reloader!.Completed += r =>
        {
            if (match(r))
            {
                next.TrySetResult(r);
            }
        };
        return next.Task;
    }
}
