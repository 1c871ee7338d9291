using Kubegate.Configuration.Watching;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Reload;

/// <summary>
/// LDS and CDS mounted from a ConfigMap: the kubelet updates them by swapping the <c>..data</c> symlink, so the files
/// named in the bootstrap never change themselves; <c>watched_directory</c> makes kubegate (as Envoy) see the swap.
/// </summary>
public class ConfigMapSwapTests
{
    private const string Bootstrap = """
        node: {id: kubegate-test, cluster: kubegate}
        dynamic_resources:
          lds_config:
            path_config_source:
              path: cm/lds.yaml
              watched_directory: {path: cm}
          cds_config:
            path_config_source:
              path: cm/cds.yaml
              watched_directory: {path: cm}
        """;

    [Fact]
    public async Task DataSymlinkSwap_LdsAndCdsReloaded()
    {
        await using var e1 = new TcpEchoServer();
        await using var e2 = new TcpEchoServer();
        await using var host = new ReloadTestHost();
        host.WriteInPlace("envoy.yaml", Bootstrap);
        host.WriteInPlace("eds_c1.yaml", ReloadConfig.Eds("c1", "1", [e1.EndPoint]));
        host.WriteInPlace("eds_c2.yaml", ReloadConfig.Eds("c2", "1", [e2.EndPoint]));
        host.WriteConfigMap("cm", "v1", new Dictionary<string, string>
        {
            ["lds.yaml"] = ReloadConfig.Lds("lds-1", ReloadConfig.Listener("l1", "c1")),
            ["cds.yaml"] = ReloadConfig.Cds("cds-1", ReloadConfig.Cluster("c1", "eds_c1.yaml")),
        });
        await host.StartAsync();
        Assert.False(host.Server.Clusters.TryGet("c2", out _));

        // The kubelet's update: a new ..v2 directory, then ..data renamed over to point at it.
        var mark = host.Mark();
        host.WriteConfigMap("cm", "v2", new Dictionary<string, string>
        {
            ["lds.yaml"] = ReloadConfig.Lds("lds-2", ReloadConfig.Listener("l1", "c1"), ReloadConfig.Listener("l2", "c2")),
            ["cds.yaml"] = ReloadConfig.Cds("cds-2", ReloadConfig.Cluster("c1", "eds_c1.yaml"), ReloadConfig.Cluster("c2", "eds_c2.yaml")),
        });
        var cds = await host.NextAsync(mark, "cds");
        var lds = await host.NextAsync(mark, "lds");

        Assert.Equal((ReloadOutcome.Accepted, "cds-2"), (cds.Outcome, cds.VersionInfo));
        Assert.Equal((ReloadOutcome.Accepted, "lds-2"), (lds.Outcome, lds.VersionInfo));
        using var client = await SocketTestExtensions.ConnectTcpAsync(host.Server.GetListenerEndPoint("l2"));
        await client.SendAllAsync("ping"u8.ToArray());
        Assert.Equal("ping"u8.ToArray(), await client.ReceiveExactlyAsync(4));
        await Wait.UntilAsync(() => e2.Accepted == 1);
        Assert.Equal(0, e1.Accepted);
    }
}
