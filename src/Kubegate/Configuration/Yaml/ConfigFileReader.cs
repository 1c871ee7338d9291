using System.Text;

namespace Kubegate.Configuration.Yaml;

/// <summary>Reads a config file and parses it as YAML or JSON, picking the format by extension as Envoy does.</summary>
internal static class ConfigFileReader
{
    /// <summary>
    /// <c>.yaml</c>/<c>.yml</c> → YAML, anything else (including <c>.json</c>) → JSON, case-insensitive
    /// (<c>MessageUtil::loadFromFile</c>; kubegate does not read <c>.pb</c>/<c>.pb_text</c>).
    /// </summary>
    public static ConfigFileFormat FormatOf(string path)
    {
        var extension = Path.GetExtension(path);
        return extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || extension.Equals(".yml", StringComparison.OrdinalIgnoreCase)
            ? ConfigFileFormat.Yaml
            : ConfigFileFormat.Json;
    }

    public static DocumentParseResult ReadFile(string fullPath)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new DocumentParseResult(null, "cannot read the file: " + ex.Message);
        }

        return Parse(bytes, FormatOf(fullPath), fullPath);
    }

    public static DocumentParseResult Parse(byte[] content, ConfigFileFormat format, string path)
    {
        if (format == ConfigFileFormat.Yaml)
        {
            return YamlDocumentReader.Parse(new UTF8Encoding(false).GetString(content).TrimStart('\uFEFF'));
        }

        var result = JsonDocumentReader.Parse(content);
        var extension = Path.GetExtension(path);
        if (!result.Succeeded && !extension.Equals(".json", StringComparison.OrdinalIgnoreCase))
        {
            return result with
            {
                ErrorFix = $"files not ending in .yaml, .yml or .json are parsed as JSON (as Envoy does); if '{Path.GetFileName(path)}' is YAML, rename it to end in .yaml",
            };
        }

        return result;
    }
}
