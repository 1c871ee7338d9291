using System.Text;
using Kubegate.Configuration.Yaml;
using Kubegate.Fuzzing;

namespace Kubegate.Tests.Fuzzing;

/// <summary>The fuzz targets' path check must accept real paths and refuse invented ones, or it proves nothing.</summary>
public class ConfigPathResolverTests
{
    private const string Document = """
        resources:
        - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
          name: a
          health_checks:
          - timeout: 1s
          "odd.key[0]": {inner: 1}
          "[weird": 1
          "": {x: 1}
        - name: b
        """;

    private static readonly ConfigNode Root = ConfigFileReader.Parse(Encoding.UTF8.GetBytes(Document), ConfigFileFormat.Yaml, "cds.yaml").Root!;

    [Theory]
    [InlineData("")]
    [InlineData("resources")]
    [InlineData("resources[1]")]
    [InlineData("resources[0].@type")]
    [InlineData("resources[0].health_checks[0].timeout")]
    [InlineData("resources[0].odd.key[0].inner")]
    [InlineData("resources[0].[weird")]
    [InlineData("resources[0].")]
    [InlineData("resources[0]..x")]
    public void Resolve_PathInTheDocument_Found(string path) =>
        Assert.Equal(ConfigPathResolution.Found, ConfigPathResolver.Resolve(Root, path));

    [Theory]
    [InlineData("version_info")]
    [InlineData("resources[1].connect_timeout")]
    [InlineData("resources[0].health_checks[0].interval")]
    public void Resolve_AbsentFieldOfAnExistingMessage_MissingField(string path) =>
        Assert.Equal(ConfigPathResolution.MissingField, ConfigPathResolver.Resolve(Root, path));

    [Theory]
    [InlineData("resources[2]")]
    [InlineData("resources[0].health_checks[1].timeout")]
    [InlineData("resources[0].name.first")]
    [InlineData("resources.name")]
    [InlineData("clusters[0]")]
    [InlineData("resources[0].missing.timeout")]
    [InlineData("resources[x]")]
    [InlineData("resources[0]..y.z")]
    public void Resolve_PathNotInTheDocument_Unresolved(string path) =>
        Assert.Equal(ConfigPathResolution.Unresolved, ConfigPathResolver.Resolve(Root, path));
}
