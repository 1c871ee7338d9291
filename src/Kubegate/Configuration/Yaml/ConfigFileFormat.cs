namespace Kubegate.Configuration.Yaml;

/// <summary>How a config file is parsed; chosen by extension like Envoy's <c>MessageUtil::loadFromFile</c>.</summary>
internal enum ConfigFileFormat
{
    Yaml,
    Json,
}
