using Kubegate.Testing;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.FunctionalTests.Hosting;

/// <summary>The real executable: --mode validate, start-up refusal of bad config, serving, SIGTERM.</summary>
public class CommandLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("examples/k8s-api-proxy/envoy.yaml")]
    [InlineData("examples/demo/envoy.yaml")]
    [InlineData("examples/sni-one-port/envoy.yaml")]
    public async Task Validate_ShippedExample_PrintsOkAndExitsZero(string bootstrap)
    {
        await using var process = await KubegateProcess.RunAsync(KubegateProcess.RepositoryRoot, "--mode", "validate", "-c", bootstrap);

        Assert.Equal(0, process.ExitCode);
        Assert.Equal($"configuration '{bootstrap}' OK", process.StandardOutput.Trim());
        Assert.DoesNotContain("max_connections", process.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ClusterWithoutCircuitBreaker_WarnsWithFileLineAndFixAndExitsZero()
    {
        WriteConfig(listenerPort: 1, cds: """
            resources:
            - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
              name: c1
              type: STATIC
              connect_timeout: 1s
              load_assignment:
                cluster_name: c1
                endpoints:
                - lb_endpoints:
                  - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 6443}}}
            """);

        await using var process = await KubegateProcess.RunAsync(_dir, "--mode", "validate", "-c", "envoy.yaml");

        Assert.True(process.ExitCode == 0, process.StandardError);
        Assert.Contains("cds.yaml:2: warning: circuit_breakers: cluster c1 sets no max_connections: Envoy's default of 1024 applies", process.StandardError, StringComparison.Ordinal);
        Assert.Contains("(write circuit_breakers: {thresholds: [{max_connections:", process.StandardError, StringComparison.Ordinal);
        Assert.Contains("OK", process.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SeedHealthCheckWithHttpAndTcp_RefusedNamingFieldAndFix()
    {
        WriteConfig(listenerPort: 1, cds: """
            resources:
            - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
              name: c1
              type: STATIC
              load_assignment:
                cluster_name: c1
                endpoints:
                - lb_endpoints:
                  - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 6443}}}
              health_checks:
              - timeout: 3s
                interval: 10s
                unhealthy_threshold: 3
                healthy_threshold: 2
                http_health_check:
                  path: "/healthz"
                tcp_health_check: {}
            """);

        await using var process = await KubegateProcess.RunAsync(_dir, "--mode", "validate", "-c", "envoy.yaml");

        Assert.Equal(1, process.ExitCode);
        var line = Assert.Single(process.StandardError.Split('\n'), l => l.Contains("tcp_health_check", StringComparison.Ordinal));
        Assert.StartsWith("cds.yaml:11: resources[0].health_checks[0]: ", line, StringComparison.Ordinal);
        Assert.Contains("pick one checker per entry", line, StringComparison.Ordinal);
        Assert.Contains("error initializing configuration 'envoy.yaml'", process.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("OK", process.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_InvalidConfig_ExitsNonZeroWithoutBindingAnyPort()
    {
        var port = FreePort.Next();
        WriteConfig(port, cds: """
            resources:
            - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
              name: c1
              connect_timeout: 500ms
            """);

        // The test holds the listener's port (without SO_REUSEPORT): had kubegate tried to bind it before validating,
        // it would have failed on the address, not on the configuration.
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        holder.Start();

        await using var process = await KubegateProcess.RunAsync(_dir, "-c", "envoy.yaml");

        Assert.Equal(1, process.ExitCode);
        Assert.Contains("cds.yaml:4: resources[0].connect_timeout:", process.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("in use", process.StandardError + process.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("accepting", process.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ValidConfig_ProxiesThenStopsCleanlyOnSigterm()
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        WriteConfig(port, cds: $"""
            resources:
            - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
              name: c1
              type: STATIC
              connect_timeout: 1s
              load_assignment:
                cluster_name: c1
                endpoints:
                - lb_endpoints:
                  - endpoint:
                      address:
                        socket_address:
                          address: 127.0.0.1
                          port_value: {echo.EndPoint.Port}
            """);

        await using var process = KubegateProcess.Start(_dir, "-c", "envoy.yaml", "--drain-time-s", "5");
        await Wait.UntilAsync(() => process.StandardOutput.Contains("accepting on 127.0.0.1:" + port, StringComparison.Ordinal) || process.Exited.IsCompleted);
        Assert.False(process.Exited.IsCompleted, process.StandardError);

        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).DefaultTimeout();
            await client.SendAsync(Encoding.ASCII.GetBytes("ping")).DefaultTimeout();
            var buffer = new byte[4];
            var received = 0;
            while (received < 4)
            {
                var n = await client.ReceiveAsync(buffer.AsMemory(received)).DefaultTimeout();
                Assert.NotEqual(0, n);
                received += n;
            }

            Assert.Equal("ping", Encoding.ASCII.GetString(buffer));
        }

        process.Terminate();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.Contains("stopped", process.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_Sigusr1_ReopensLogsAndKeepsServing()
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint);
        await using var process = KubegateProcess.Start(_dir, "-c", "envoy.yaml");
        await Wait.UntilAsync(() => process.StandardOutput.Contains("started:", StringComparison.Ordinal) || process.Exited.IsCompleted);

        // SIGUSR1's default action ends a process; kubegate takes it as logrotate's "reopen your files".
        process.Signal("USR1");
        await Wait.UntilAsync(() => process.StandardOutput.Contains("reopening 0 log file(s)", StringComparison.Ordinal) || process.Exited.IsCompleted);
        Assert.False(process.Exited.IsCompleted, process.StandardOutput);
        using (var client = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port)))
        {
            await client.SendAllAsync("ping"u8.ToArray());
            Assert.Equal("ping"u8.ToArray(), await client.ReceiveExactlyAsync(4));
        }

        process.Terminate();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task Version_PrintsTheVersion()
    {
        await using var process = await KubegateProcess.RunAsync(_dir, "--version");

        Assert.Equal(0, process.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", process.StandardOutput.Trim());
    }

    [Fact]
    public async Task Help_SaysPathsResolveAgainstTheWorkingDirectory()
    {
        await using var process = await KubegateProcess.RunAsync(_dir, "--help");

        Assert.Equal(0, process.ExitCode);
        Assert.Contains("--config-path", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--drain-time-s", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--drain-strategy", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("gradual", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("resolve against the working directory", process.StandardOutput, StringComparison.Ordinal);
    }

    private void WriteConfig(int listenerPort, string cds)
    {
        File.WriteAllText(Path.Combine(_dir, "envoy.yaml"), """
            node: {id: test, cluster: test}
            dynamic_resources:
              lds_config: {path_config_source: {path: lds.yaml}}
              cds_config: {path_config_source: {path: cds.yaml}}
            """);
        File.WriteAllText(Path.Combine(_dir, "lds.yaml"), $"""
            resources:
            - "@type": type.googleapis.com/envoy.config.listener.v3.Listener
              name: l1
              address:
                socket_address:
                  address: 127.0.0.1
                  port_value: {listenerPort}
              filter_chains:
              - filters:
                - name: envoy.filters.network.tcp_proxy
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                    stat_prefix: l1
                    cluster: c1
            """);
        File.WriteAllText(Path.Combine(_dir, "cds.yaml"), cds);
    }
}
