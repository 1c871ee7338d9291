using System.Net;
using System.Security.Cryptography.X509Certificates;
using Kubegate.Testing;

// Not "Kubegate.FunctionalTests.Testing": that namespace would capture every "Testing.Kubectl" written in a sibling
// namespace (Kubegate.FunctionalTests.Kubectl, .Reload) to mean Kubegate.Testing.Kubectl. The name still matches
// the filter FullyQualifiedName~Kubegate.FunctionalTests.Testing.
namespace Kubegate.FunctionalTests.TestingRig;

public sealed class TestCertificateAuthorityTests
{
    [Fact]
    public void CreateClientCertificate_UserAndGroup_SubjectIsKubeStyleAndChainsToCa()
    {
        using var ca = TestCertificateAuthority.Create();
        using var other = TestCertificateAuthority.Create("other-ca");
        using var client = ca.CreateClientCertificate("alice", "devs", "system:masters");

        Assert.Equal("CN=alice, O=devs, O=system:masters", client.Subject);
        Assert.True(client.HasPrivateKey);
        Assert.True(TestHttpClient.ChainsTo(client, ca.Certificate));
        Assert.False(TestHttpClient.ChainsTo(client, other.Certificate));
    }

    [Fact]
    public void CreateServerCertificate_ExtraNames_CarriesDefaultAndExtraSans()
    {
        using var ca = TestCertificateAuthority.Create();
        using var server = ca.CreateServerCertificate(["apiserver.test", "10.1.2.3"]);

        var san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost", "kubernetes", "kubernetes.default", "apiserver.test"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Parse("10.1.2.3")], san.EnumerateIPAddresses());
        Assert.True(server.MatchesHostname("kubernetes.default"));
        Assert.True(TestHttpClient.ChainsTo(server, ca.Certificate));
    }

    [Fact]
    public void WriteCertificate_ClientCertificate_WritesPemFilesThatLoadBack()
    {
        using var paths = TestPaths.Create();
        using var ca = TestCertificateAuthority.Create();
        using var client = ca.CreateClientCertificate("bob", "ops");

        var caPath = ca.WriteCertificateAuthority(paths.Directory, includeKey: true);
        var files = TestCertificateAuthority.WriteCertificate(client, paths.Directory, "bob");

        Assert.Equal(Path.Combine(paths.Directory, "ca.crt"), caPath);
        Assert.True(File.Exists(Path.Combine(paths.Directory, "ca.key")));
        using var loaded = X509Certificate2.CreateFromPemFile(files.CertificatePath, files.KeyPath);
        Assert.Equal(client.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(files.KeyPath));
        }
    }
}
