using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.FunctionalTests.Sni;

/// <summary><c>--mode validate</c> on the real executable refuses two filter chains with the same match, naming both.</summary>
public sealed class ValidateOverlappingChainsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-sni-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Validate_TwoChainsWithTheSameServerName_FailsNamingBothFilesAndLines()
    {
        File.WriteAllText(Path.Combine(_dir, "envoy.yaml"), """
            node: {id: test, cluster: test}
            dynamic_resources:
              lds_config: {path_config_source: {path: lds.yaml}}
              cds_config: {path_config_source: {path: cds.yaml}}
            """);
        const string Lds = """
            resources:
            - "@type": type.googleapis.com/envoy.config.listener.v3.Listener
              name: shared
              address: {socket_address: {address: 127.0.0.1, port_value: 1}}
              listener_filters: [{name: envoy.filters.listener.tls_inspector}]
              filter_chains:
              - name: first
                filter_chain_match: {server_names: [one.example, two.example]}
                filters:
                - name: envoy.filters.network.tcp_proxy
                  typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: first, cluster: c1}
              - name: second
                filter_chain_match: {server_names: [two.example]}
                filters:
                - name: envoy.filters.network.tcp_proxy
                  typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: second, cluster: c1}
            """;
        File.WriteAllText(Path.Combine(_dir, "lds.yaml"), Lds);
        File.WriteAllText(Path.Combine(_dir, "cds.yaml"), """
            resources:
            - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
              name: c1
              type: STATIC
              circuit_breakers: {thresholds: [{max_connections: 100}]}
              load_assignment: {cluster_name: c1, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 2}}}}]}]}
            """);
        var lines = Lds.Split('\n');
        var first = Array.FindIndex(lines, l => l.Contains("- name: first", StringComparison.Ordinal)) + 1;
        var second = Array.FindIndex(lines, l => l.Contains("- name: second", StringComparison.Ordinal)) + 1;

        await using var process = await KubegateProcess.RunAsync(_dir, "--mode", "validate", "-c", "envoy.yaml");

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains($"lds.yaml:{second}: resources[0].filter_chains[1].filter_chain_match: filter chains resources[0].filter_chains[0] (lds.yaml:{first}) and resources[0].filter_chains[1] (lds.yaml:{second}) match the same connections (server name two.example)", process.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(" OK", process.StandardOutput, StringComparison.Ordinal);
    }
}
