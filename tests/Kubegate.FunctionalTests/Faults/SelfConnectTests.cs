using System.Net;
using System.Net.Sockets;
using Kubegate.FunctionalTests.Hosting;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// TCP's self-connect: a connect to a local port nothing listens on succeeds, connected to itself, when the kernel
/// picks that very port as the source (it is in the ephemeral range). kubegate must take it for the refusal it is,
/// not relay the client's bytes back to it as the upstream's answer. Made certain here: in a namespace of the test's
/// own, the ephemeral range is that one port.
/// </summary>
[Collection(NetworkFaultCollection.Name)]
public sealed class SelfConnectTests
{
    private const int DeadPort = 40000;

    [NetworkFaultFact]
    public async Task UpstreamConnect_SourcePortIsTheDeadDestination_RefusedAndTheClientClosed()
    {
        await using var bed = await Bed.StartAsync(healthCheck: false);

        // The client's own port is bound outside the range, so the range's one port is free for kubegate's connect.
        using var client = await bed.Network.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 6443), TimeSpan.FromSeconds(10), new IPEndPoint(IPAddress.Loopback, DeadPort - 1));

        // Refused: kubegate closes the client (FIN: it sent nothing unread). Connected to itself it would relay, and
        // this read would wait: the client sends nothing, so nothing comes back.
        Assert.Equal(0, await client.ReceiveAsync(new byte[16]).WaitAsync(TimeSpan.FromSeconds(20)));
        await Wait.UntilAsync(() => File.Exists(bed.AccessLog) && File.ReadAllText(bed.AccessLog).Contains('\n'));
        Assert.Equal("UF,URX delayed_connect_error:_Connection_refused\n", File.ReadAllText(bed.AccessLog));
    }

    [NetworkFaultFact]
    public async Task TcpHealthCheck_SourcePortIsTheDeadDestination_FailsAsRefused()
    {
        await using var bed = await Bed.StartAsync(healthCheck: true);

        // Each check connects from the range's one port: connected to itself, a connect-only check would pass.
        await Wait.UntilAsync(async () => await bed.StatAsync("cluster.c.health_check.attempt") >= 3, TimeSpan.FromSeconds(20));
        Assert.Equal(0, await bed.StatAsync("cluster.c.health_check.success"));
        Assert.True(await bed.StatAsync("cluster.c.health_check.network_failure") >= 3);
    }

    /// <summary>kubegate in a namespace whose ephemeral port range is <see cref="DeadPort"/> alone.</summary>
    private sealed class Bed : IAsyncDisposable
    {
        private readonly string _directory;
        private KubegateProcess? _kubegate;

        private Bed(string directory, NetworkNamespace network)
        {
            _directory = directory;
            Network = network;
        }

        public NetworkNamespace Network { get; }

        public string AccessLog => Path.Combine(_directory, "access.log");

        public static async Task<Bed> StartAsync(bool healthCheck)
        {
            var name = FormattableString.Invariant($"kgsc-{Environment.ProcessId}-{(healthCheck ? "hc" : "cx")}");
            var bed = new Bed(Directory.CreateTempSubdirectory("kubegate-selfconnect-").FullName, await NetworkNamespace.CreateAsync(name));
            try
            {
                await NetworkNamespace.RunAsync("ip", "netns", "exec", name, "sysctl", "-q", "-w",
                    FormattableString.Invariant($"net.ipv4.ip_local_port_range={DeadPort} {DeadPort}"));
                File.WriteAllText(Path.Combine(bed._directory, "envoy.yaml"), Config(bed.AccessLog, healthCheck));
                using var notify = NotifySocket.InDirectory(bed._directory);
                bed._kubegate = KubegateProcess.StartExecutable(
                    KubegateProcess.ExecutablePath,
                    bed._directory,
                    new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address },
                    fileLimit: null,
                    name,
                    "-c", "envoy.yaml");
                await notify.NextAsync(0, "READY=1");
                return bed;
            }
            catch
            {
                await bed.DisposeAsync();
                throw;
            }
        }

        /// <summary>One counter from the admin's <c>/stats</c>, asked from a port outside the range (the range's one port stays free).</summary>
        public Task<long> StatAsync(string name) =>
            Network.StatAsync(new IPEndPoint(IPAddress.Loopback, 9901), name, from: new IPEndPoint(IPAddress.Loopback, DeadPort - 2));

        public async ValueTask DisposeAsync()
        {
            if (_kubegate is not null)
            {
                await _kubegate.DisposeAsync();
            }

            await Network.DisposeAsync();
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static string Config(string accessLog, bool healthCheck) => $$$"""
        node: {id: selfconnect, cluster: selfconnect}
        admin:
          address: {socket_address: {address: 127.0.0.1, port_value: 9901}}
        static_resources:
          listeners:
          - name: l
            address: {socket_address: {address: 127.0.0.1, port_value: 6443}}
            filter_chains:
            - filters:
              - name: envoy.filters.network.tcp_proxy
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                  stat_prefix: l
                  cluster: c
                  access_log:
                  - name: envoy.access_loggers.file
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                      path: {{{accessLog}}}
                      log_format:
                        text_format_source:
                          inline_string: "%RESPONSE_FLAGS% %UPSTREAM_TRANSPORT_FAILURE_REASON%\n"
          clusters:
          - name: c
            type: STATIC
            connect_timeout: 5s{{{(healthCheck ? HealthCheck : string.Empty)}}}
            load_assignment:
              cluster_name: c
              endpoints:
              - lb_endpoints:
                - endpoint:
                    address:
                      socket_address: {address: 127.0.0.1, port_value: {{{DeadPort}}}}
        """;

    // A connect-only TCP check every 100 ms (no_traffic_interval too: no traffic goes through here); the counters tell.
    private const string HealthCheck = """

            health_checks:
            - timeout: 1s
              interval: 0.1s
              no_traffic_interval: 0.1s
              unhealthy_threshold: 1
              healthy_threshold: 1
              tcp_health_check: {}
        """;
}
