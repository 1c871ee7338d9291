using System.Net;
using Kubegate.Configuration.Watching;
using Kubegate.FunctionalTests.Kubectl;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Reload;

/// <summary>The real kubectl keeps a watch open through kubegate while the cluster's endpoints are reloaded.</summary>
[Collection(KubectlCollection.Name)]
public sealed class KubectlWatchReloadTests
{
    [Fact]
    public async Task Watch_AcrossEndpointReloads_StaysOpenWhileNewRequestsFollowTheEndpoints()
    {
        using var ca = TestCertificateAuthority.Create();
        using var paths = TestPaths.Create();
        using var client = ca.CreateClientCertificate("alice", "devs");
        await using var a = await StartApiServerAsync(ca, "apiserver-a");
        await using var b = await StartApiServerAsync(ca, "apiserver-b");
        a.WatchEventInterval = TimeSpan.FromMilliseconds(100);
        await using var host = new ReloadTestHost();
        host.WriteInPlace("envoy.yaml", ReloadConfig.Bootstrap);
        host.WriteInPlace("lds.yaml", ReloadConfig.Lds("1", ReloadConfig.Listener("l1", "c1")));
        host.WriteInPlace("cds.yaml", ReloadConfig.Cds("1", ReloadConfig.Cluster("c1", "eds_c1.yaml")));
        host.WriteInPlace("eds_c1.yaml", ReloadConfig.Eds("c1", "a", [a.EndPoint]));
        await host.StartAsync();
        using var kubectl = new Testing.Kubectl(Kubeconfig.Write(paths.Combine("kubeconfig"), $"https://{host.Server.GetListenerEndPoint("l1")}", ca.Certificate, client));

        await using var watch = kubectl.Start("get", "--raw", "/api/v1/namespaces?watch=true");
        await watch.WaitForLinesAsync(4);

        for (var i = 0; i < 3; i++)
        {
            // b joins, then a leaves: the watch stays on a (removing a host never closes its connections)...
            var mark = host.Mark();
            host.WriteAtomic("eds_c1.yaml", ReloadConfig.Eds("c1", "ab" + i, [a.EndPoint, b.EndPoint]));
            Assert.Equal(ReloadOutcome.Accepted, (await host.NextAsync(mark, "eds (cluster c1)")).Outcome);
            mark = host.Mark();
            host.WriteInPlace("eds_c1.yaml", ReloadConfig.Eds("c1", "b" + i, [b.EndPoint]));
            Assert.Equal(ReloadOutcome.Accepted, (await host.NextAsync(mark, "eds (cluster c1)")).Outcome);

            // ...and keeps delivering events, while a new request goes to b.
            var seen = watch.LinesSeen.Count;
            await watch.WaitForLinesAsync(seen + 3);
            var requests = b.RequestCount;
            var version = await kubectl.RunAsync("get", "--raw", "/version");
            Assert.True(version.Succeeded, version.ToString());
            Assert.True(b.RequestCount > requests, "the request after the reload did not reach b");
        }

        Assert.False(watch.Exited.IsCompleted, "the watch ended: " + watch.StandardError);
        Assert.All(watch.LinesSeen, line => Assert.Contains("\"type\":", line, StringComparison.Ordinal));
        Assert.Equal(1, a.OpenConnectionCount);
        Assert.Equal(6, host.Server.Stats.GetValue("cluster.c1.update_success") - 1);
    }

    private static Task<FakeApiServer> StartApiServerAsync(TestCertificateAuthority ca, string name) => FakeApiServer.StartAsync(new FakeApiServerOptions
    {
        Name = name,
        Address = IPAddress.Loopback,
        ServerCertificate = ca.ServerCertificate,
        ClientCertificateAuthority = ca.Certificate,
    });
}
