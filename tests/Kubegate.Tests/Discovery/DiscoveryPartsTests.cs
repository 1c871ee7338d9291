using System.Net;
using Kubegate.Discovery;

namespace Kubegate.Tests.Discovery;

public sealed class DiscoveryPartsTests
{
    [Fact]
    public void Endpoints_FromSlices_ReadyAddressesWithTheHttpsPort_NoFqdn_Sorted()
    {
        KubeObject[] slices =
        [
            new()
            {
                AddressType = "IPv4",
                Ports = [new KubePort { Name = "metrics", Port = 9000, Protocol = "TCP" }, new KubePort { Name = "https", Port = 6443, Protocol = "TCP" }],
                Endpoints =
                [
                    new SliceEndpoint { Addresses = ["10.0.0.2"], Conditions = new SliceConditions { Ready = true } },
                    new SliceEndpoint { Addresses = ["10.0.0.1"] },
                    new SliceEndpoint { Addresses = ["10.0.0.3"], Conditions = new SliceConditions { Ready = false } },
                ],
            },
            new() { AddressType = "FQDN", Ports = [new KubePort { Name = "https", Port = 6443 }], Endpoints = [new SliceEndpoint { Addresses = ["api.example.com"] }] },
            new() { AddressType = "IPv4", Ports = [new KubePort { Name = "https", Port = 16443 }], Endpoints = [new SliceEndpoint { Addresses = ["10.0.0.2"] }] },
        ];

        var endpoints = ApiServerEndpoints.From(slices);

        Assert.Equal(["10.0.0.1:6443", "10.0.0.2:6443", "10.0.0.2:16443"], endpoints.Select(e => e.ToString()));
    }

    [Fact]
    public void Endpoints_FromTheEndpointsObject_EverySubset()
    {
        KubeObject[] objects =
        [
            new()
            {
                Subsets =
                [
                    new EndpointSubset { Addresses = [new EndpointAddress { Ip = "192.168.1.20" }, new EndpointAddress { Ip = "fd00::1" }], Ports = [new KubePort { Name = "https", Port = 6443 }] },
                ],
            },
        ];

        Assert.Equal(["192.168.1.20:6443", "[fd00::1]:6443"], ApiServerEndpoints.From(objects).Select(e => e.ToString()));
    }

    [Fact]
    public void EdsFile_SameListSameBytes_AndItLoadsAsTheClustersAssignment()
    {
        var list = new[] { IPEndPoint.Parse("10.0.0.1:6443"), IPEndPoint.Parse("10.0.0.2:6443") };

        var first = EdsFileWriter.Render("c1", list, "test");
        var again = EdsFileWriter.Render("c1", list, "test");
        var other = EdsFileWriter.Render("c1", [list[0]], "test");

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        using var files = new Configuration.ConfigFiles().WriteDefaults();
        files.Write("eds_c1.yaml", first);
        var result = files.Load();
        Configuration.ProblemAssert.Clean(result);
        Assert.Equal(["10.0.0.1:6443", "10.0.0.2:6443"], result.Snapshot!.Assignments["c1"].Endpoints.Select(e => e.Address.ToString()));
    }

    [Fact]
    public void WriteAtomic_ReplacesTheFile_LeavingNoTemporaryFile()
    {
        var directory = Directory.CreateTempSubdirectory("kubegate-eds-").FullName;
        try
        {
            var path = Path.Combine(directory, "eds.yaml");
            File.WriteAllText(path, "old");

            EdsFileWriter.WriteAtomic(path, "new");

            Assert.Equal("new", File.ReadAllText(path));
            Assert.Equal(["eds.yaml"], Directory.GetFiles(directory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "kubernetes", "kubernetes.default" }, null, "10.0.0.1", "kubernetes")]
    [InlineData(new[] { "kubernetes", "api.example.com" }, null, "api.example.com", "api.example.com")]
    [InlineData(new[] { "kubernetes", "api.example.com" }, "kubernetes", "api.example.com", "kubernetes")]
    [InlineData(new[] { "*.example.com" }, null, "api.example.com", "api.example.com")]
    [InlineData(new[] { "control-plane.internal" }, null, "10.0.0.1", "control-plane.internal")]
    [InlineData(new string[0], null, "10.0.0.1", null)]
    public void TlsServerName_PicksANameTheCertificateCovers(string[] dnsNames, string? existing, string host, string? expected)
    {
        Assert.Equal(expected, TlsServerName.Choose(dnsNames, existing, host));
    }

    [Fact]
    public void Backoff_GrowsWithJitter_UpToThirtySeconds()
    {
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(ApiServerDiscovery.Backoff(1), TimeSpan.FromMilliseconds(125), TimeSpan.FromMilliseconds(250));
            Assert.InRange(ApiServerDiscovery.Backoff(4), TimeSpan.FromMilliseconds(1000), TimeSpan.FromMilliseconds(2000));
            Assert.InRange(ApiServerDiscovery.Backoff(30), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public void DemoEdsFile_IsExactlyWhatDiscoveryWritesForTheDemoApiServers()
    {
        // `make demo` discovers 127.0.0.1:16443 and :16444; the same bytes mean the demo leaves the tracked file as it is.
        var expected = EdsFileWriter.Render("demo_cluster1", [IPEndPoint.Parse("127.0.0.1:16443"), IPEndPoint.Parse("127.0.0.1:16444")], "the cluster's default/kubernetes EndpointSlices");

        Assert.Equal(expected, File.ReadAllText(Path.Combine(Kubegate.Testing.TestPaths.RepositoryRoot, "examples/demo/eds_cluster1.yaml")));
    }
}
