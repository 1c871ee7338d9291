using Kubegate.Configuration.Yaml;

namespace Kubegate.Tests.Configuration.Yaml;

public class ConfigFileReaderTests
{
    [Theory]
    [InlineData("envoy.yaml", "Yaml")]
    [InlineData("envoy.yml", "Yaml")]
    [InlineData("ENVOY.YAML", "Yaml")]
    [InlineData("lds.Yml", "Yaml")]
    [InlineData("lds.json", "Json")]
    [InlineData("lds.conf", "Json")]
    [InlineData("lds", "Json")]
    public void FormatOf_Extension_ChoosesLikeEnvoy(string path, string format) =>
        Assert.Equal(Enum.Parse<ConfigFileFormat>(format), ConfigFileReader.FormatOf(path));

    [Fact]
    public void Parse_YamlInAFileWithoutYamlExtension_SuggestsRenaming()
    {
        var result = ConfigFileReader.Parse("resources: []\n"u8.ToArray(), ConfigFileFormat.Json, "/etc/kubegate/lds.conf");

        Assert.False(result.Succeeded);
        Assert.Contains("rename it to end in .yaml", result.ErrorFix, StringComparison.Ordinal);
    }
}
