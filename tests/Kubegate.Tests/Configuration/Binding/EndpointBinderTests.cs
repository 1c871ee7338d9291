using System.Net;
using Kubegate.Configuration;

namespace Kubegate.Tests.Configuration.Binding;

public class EndpointBinderTests
{
    private const string Endpoint0 = "resources[0].endpoints[0].lb_endpoints[0]";

    [Fact]
    public void Load_EdsFile_BindsEveryField()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", $$"""
            version_info: v42
            resources:
            - {{ConfigFiles.AssignmentType}}
              cluster_name: c1
              policy: {weighted_priority_health: true}
              endpoints:
              - locality: {zone: a}
                load_balancing_weight: 2
                lb_endpoints:
                - endpoint:
                    address:
                      socket_address: {address: 10.0.0.1, port_value: 6443}
                    hostname: master-1
                    health_check_config: {port_value: 6444, hostname: master-1.internal}
                  load_balancing_weight: 5
                  health_status: DRAINING
              - priority: 1
                lb_endpoints:
                - endpoint:
                    address:
                      socket_address: {address: "fd00::2", port_value: 6443}
                    health_check_config: {disable_active_health_check: true}
            """);

        var result = files.Load();

        ProblemAssert.Clean(result);
        var assignment = result.Snapshot!.Assignments["c1"];
        Assert.Equal("c1", assignment.ClusterName);
        Assert.Equal("eds_c1.yaml", assignment.Location.File);
        var first = assignment.Endpoints[0];
        Assert.Equal(new SocketAddressConfig(IPAddress.Parse("10.0.0.1"), 6443), first.Address);
        Assert.Equal(5u, first.Weight);
        Assert.Equal(EndpointHealthStatus.Draining, first.HealthStatus);
        Assert.Equal("master-1", first.Hostname);
        Assert.Equal(6444, first.HealthCheckPort);
        Assert.Equal("master-1.internal", first.HealthCheckHostname);
        Assert.Equal(0, first.Priority);
        var second = assignment.Endpoints[1];
        Assert.Equal("[fd00::2]:6443", second.Address.ToString());
        Assert.Equal(1, second.Priority);
        Assert.Equal(1u, second.Weight);
        Assert.Equal(EndpointHealthStatus.Unknown, second.HealthStatus);
        Assert.True(second.DisableActiveHealthCheck);
        Assert.Equal("v42", result.Snapshot.VersionInfo[Path.Combine(files.Directory, "eds_c1.yaml")]);
    }

    [Fact]
    public void Load_TwoAssignmentsInOneFile_UsesEnvoysMessage()
    {
        using var files = new ConfigFiles().WriteDefaults();
        var eds = ConfigFiles.Eds("c1", "10.0.0.1:6443");
        files.Write("eds_c1.yaml", eds + eds["resources:\n".Length..]);

        var error = ProblemAssert.Error(files.Load(), "resources");

        Assert.Equal("eds_c1.yaml", error.File);
        Assert.Equal("Unexpected EDS resource length: 2", error.Message);
    }

    [Fact]
    public void Load_WrongClusterName_UsesEnvoysMessage()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", ConfigFiles.Eds("k8s_cluster9", "10.0.0.1:6443"));

        var error = ProblemAssert.Error(files.Load(), "resources[0].cluster_name");

        Assert.Equal("Unexpected EDS cluster (expecting c1): k8s_cluster9", error.Message);
        Assert.Equal(files.LineOf("eds_c1.yaml", "cluster_name"), error.Line);
    }

    [Theory]
    [InlineData("resources: []")]
    [InlineData("")]
    [InlineData("version_info: \"3\"")]
    public void Load_NoAssignment_WarnsAndLeavesTheClusterEmpty(string content)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", content);

        var result = files.Load();

        var warning = ProblemAssert.Warning(result, "resources");
        Assert.Contains("on a reload Envoy keeps the previous endpoints", warning.Message, StringComparison.Ordinal);
        Assert.False(result.Snapshot!.Assignments.ContainsKey("c1"));
    }

    [Theory]
    [InlineData("YOUR_K8S_CLUSTER1_IP1")]
    [InlineData("apiserver.example.com")]
    [InlineData("010.0.0.1")]
    [InlineData("10.0.0.256")]
    public void Load_EndpointNotAnIpLiteral_UsesEnvoysMessage(string host)
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", ConfigFiles.Eds("c1", host + ":6443"));

        var error = ProblemAssert.Error(files.Load(), Endpoint0 + ".endpoint.address.socket_address.address");

        Assert.Equal($"malformed IP address: {host}. Consider setting resolver_name or setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'", error.Message);
        Assert.StartsWith("kubegate needs IP literals", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicateEndpoint_KeepsTheFirstWithAWarning()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", ConfigFiles.Eds("c1", "10.0.0.1:6443", "10.0.0.2:6443", "10.0.0.1:6443"));

        var result = files.Load();

        var warning = ProblemAssert.Warning(result, "resources[0].endpoints[0].lb_endpoints[2]");
        Assert.Equal("duplicate endpoint 10.0.0.1:6443: only the first (resources[0].endpoints[0].lb_endpoints[0]) is used, as in Envoy", warning.Message);
        Assert.Equal(["10.0.0.1:6443", "10.0.0.2:6443"], result.Snapshot!.Assignments["c1"].Endpoints.Select(e => e.Address.ToString()));
    }

    [Fact]
    public void Load_EndpointWeightZero_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", ConfigFiles.Eds("c1", "10.0.0.1:6443") + "      load_balancing_weight: 0\n");

        Assert.Equal("load_balancing_weight must be at least 1", ProblemAssert.Error(files.Load(), Endpoint0 + ".load_balancing_weight").Message);
    }

    [Fact]
    public void Load_EndpointPortZero_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", ConfigFiles.Eds("c1", "10.0.0.1:0"));

        ProblemAssert.Error(files.Load(), Endpoint0 + ".endpoint.address.socket_address.port_value");
    }

    [Fact]
    public void Load_UnknownFieldInEdsFile_IsAWarning()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", ConfigFiles.Eds("c1", "10.0.0.1:6443") + "      weight: 3\n");

        var warning = ProblemAssert.Warning(files.Load(), Endpoint0 + ".weight");

        Assert.True(warning.IsUnknownField);
        Assert.Equal("eds_c1.yaml", warning.File);
    }

    [Fact]
    public void Load_AddressOutsideEndpoint_HintsAtTheNesting()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", $"resources:\n- {ConfigFiles.AssignmentType}\n  cluster_name: c1\n  endpoints:\n  - lb_endpoints:\n    - address: {{socket_address: {{address: 10.0.0.1, port_value: 6443}}}}\n");

        var result = files.Load();

        Assert.StartsWith("the address belongs inside endpoint", ProblemAssert.Single(result, Endpoint0 + ".address").Fix, StringComparison.Ordinal);
        Assert.Equal("missing required field 'endpoint'", ProblemAssert.Error(result, Endpoint0 + ".endpoint").Message);
    }

    [Fact]
    public void Load_ResourceOfTheWrongType_IsAnError()
    {
        using var files = new ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", ConfigFiles.Eds("c1", "10.0.0.1:6443").Replace("endpoint.v3.ClusterLoadAssignment", "cluster.v3.Cluster", StringComparison.Ordinal));

        var error = ProblemAssert.Error(files.Load(), "resources[0].@type");

        Assert.Equal("EDS files hold envoy.config.endpoint.v3.ClusterLoadAssignment resources; found \"@type\" 'type.googleapis.com/envoy.config.cluster.v3.Cluster'", error.Message);
    }
}
