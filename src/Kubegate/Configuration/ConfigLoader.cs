using System.Collections.Immutable;

namespace Kubegate.Configuration;

/// <summary>
/// Reads a bootstrap and every LDS/CDS/EDS file it references into one validated <see cref="ConfigSnapshot"/>,
/// collecting every problem of every file. Pure apart from reading files: <c>--mode validate</c>, start-up and
/// reloads all call it.
/// </summary>
internal sealed class ConfigLoader
{
    private readonly ConfigLoaderOptions _options;

    public ConfigLoader(ConfigLoaderOptions options) => _options = options;

    public ConfigLoadResult Load(string bootstrapPath)
    {
        _ = _options;
        _ = bootstrapPath;
        return new ConfigLoadResult(null, [new ConfigError(bootstrapPath, 0, string.Empty, "not implemented yet")]);
    }
}
