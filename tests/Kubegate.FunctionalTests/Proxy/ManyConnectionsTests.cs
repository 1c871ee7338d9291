using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Proxy;

/// <summary>
/// The example config's circuit breaker holds a large control plane's connections: the real executable, with the
/// example cluster's <c>max_connections</c>, keeps thousands of connections open through one cluster and refuses none.
/// </summary>
[Collection(HeavyTestCollection.Name)]
public sealed class ManyConnectionsTests : IDisposable
{
    /// <summary>The figure: more than a thousand-node cluster's kubelets, proxies and controllers.</summary>
    private const int Wanted = 20_000;

    // Descriptors kept free in each process: the runtime's own, the test framework's, kubegate's reserve (64) and
    // admin. kubegate needs two descriptors per proxied connection, the test one (its client side).
    private const int Spare = 600;

    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-many-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ExampleCircuitBreaker_HoldsAsManyConnectionsAsDescriptorsAllow_NoneRefused()
    {
        var example = new ConfigLoader(new ConfigLoaderOptions { WorkingDirectory = KubegateProcess.RepositoryRoot })
            .Load("examples/k8s-api-proxy/envoy.yaml");
        Assert.True(example.Succeeded, string.Join("\n", example.Problems));
        var maxConnections = example.Snapshot!.Clusters.Single(c => c.Name == "k8s_cluster1").MaxConnections;
        Assert.True(maxConnections >= Wanted, $"the example allows only {maxConnections} connections");
        Assert.Empty(CapacityAdvice.For(example.Snapshot!));

        // As many as this machine's open-file hard limit allows, up to the wanted figure (a hard limit of 20,000 gives
        // 9,700: raising it needs CAP_SYS_RESOURCE). Logged so the figure is visible.
        var hardLimit = HardFileLimit();
        var count = (int)Math.Min(Wanted, (hardLimit - Spare) / 2);
        Assert.True(count > ClusterConfig.DefaultMaxConnections * 4, $"hard limit {hardLimit} leaves room for only {count} connections");

        // Upstreams that never accept: the kernel completes each handshake into the listen queue (4096 each at most,
        // net.core.somaxconn), so kubegate's connects succeed without the test holding a second descriptor each.
        var upstreams = Enumerable.Range(0, (count / 4000) + 1).Select(_ => Listen()).ToList();
        var port = FreePort.Next();
        var adminPort = FreePort.Next();
        WriteConfig(port, adminPort, maxConnections, upstreams.Select(u => (IPEndPoint)u.LocalEndPoint!));
        await using var process = KubegateProcess.Start(_dir, new Dictionary<string, string>(), (int)hardLimit, "-c", "envoy.yaml", "--drain-time-s", "5");
        await Wait.UntilAsync(() => process.StandardOutput.Contains("started:", StringComparison.Ordinal) || process.Exited.IsCompleted);
        Assert.False(process.Exited.IsCompleted, process.StandardError);

        var clients = new List<Socket>(count);
        try
        {
            var endPoint = new IPEndPoint(IPAddress.Loopback, port);
            for (var i = 0; i < count; i += 200)
            {
                var batch = await Task.WhenAll(Enumerable.Range(0, Math.Min(200, count - i)).Select(_ => SocketTestExtensions.ConnectTcpAsync(endPoint))).DefaultTimeout();
                clients.AddRange(batch);
            }

            using var http = new HttpClient { Timeout = Kubegate.Testing.TaskExtensions.DefaultTimeoutValue };
            var admin = new Uri($"http://127.0.0.1:{adminPort}/stats?filter=^cluster\\.c1\\.upstream_cx_(active|overflow|connect_fail)$");
            string stats = string.Empty;
            await Wait.UntilAsync(
                async () => (stats = await http.GetStringAsync(admin)).Contains($"cluster.c1.upstream_cx_active: {count}\n", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60));

            Assert.Contains("cluster.c1.upstream_cx_overflow: 0\n", stats, StringComparison.Ordinal);
            Assert.Contains("cluster.c1.upstream_cx_connect_fail: 0\n", stats, StringComparison.Ordinal);

            // None was closed by kubegate: no client socket is readable (a FIN or reset would make it so).
            Assert.Equal(0, clients.Count(c => c.Poll(0, SelectMode.SelectRead)));
            Console.WriteLine($"held {count} connections through one cluster (open-file hard limit {hardLimit})");
        }
        finally
        {
            // Closing the never-accepting listeners resets the upstream sides still queued there, so nothing is left
            // for the drain.
            foreach (var socket in clients.Concat(upstreams))
            {
                socket.Dispose();
            }
        }

        process.Terminate();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    private static Socket Listen()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(4096);
        return socket;
    }

    private static long HardFileLimit()
    {
        // "Max open files            20000                20000                files"
        var line = File.ReadLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var hard = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return hard == "unlimited" ? 1 << 20 : long.Parse(hard, CultureInfo.InvariantCulture);
    }

    private void WriteConfig(int port, int adminPort, int maxConnections, IEnumerable<IPEndPoint> upstreams)
    {
        // Spliced in after the raw string's indentation is removed: ten spaces put each entry under lb_endpoints.
        var endpoints = string.Concat(upstreams.Select(u =>
            "\n          - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: " + u.Port.ToString(CultureInfo.InvariantCulture) + "}}}"));
        File.WriteAllText(Path.Combine(_dir, "envoy.yaml"), $$$"""
            node: {id: test, cluster: test}
            admin:
              address: {socket_address: {address: 127.0.0.1, port_value: {{{adminPort}}}}}
            static_resources:
              listeners:
              - name: l1
                address: {socket_address: {address: 127.0.0.1, port_value: {{{port}}}}}
                filter_chains:
                - filters:
                  - name: envoy.filters.network.tcp_proxy
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                      stat_prefix: l1
                      cluster: c1
              clusters:
              - name: c1
                type: STATIC
                connect_timeout: 5s
                circuit_breakers: {thresholds: [{max_connections: {{{maxConnections}}}}]}
                load_assignment:
                  cluster_name: c1
                  endpoints:
                  - lb_endpoints:{{{endpoints}}}
            """);
    }
}
