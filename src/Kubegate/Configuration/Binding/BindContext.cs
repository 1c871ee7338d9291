namespace Kubegate.Configuration.Binding;

/// <summary>
/// Everything a binder needs while reading one file: where problems go, how unknown fields are treated and how paths
/// written in the file resolve. One per file read.
/// </summary>
internal sealed class BindContext
{
    private readonly List<ConfigError> _problems = [];

    public BindContext(string file, string fullPath, ConfigFileKind kind, ConfigLoaderOptions options, PathResolver paths)
    {
        File = file;
        FullPath = fullPath;
        Kind = kind;
        Options = options;
        Paths = paths;
    }

    /// <summary>The file as the operator named it.</summary>
    public string File { get; }

    public string FullPath { get; }

    public ConfigFileKind Kind { get; }

    public ConfigLoaderOptions Options { get; }

    public PathResolver Paths { get; }

    public bool IsDynamic => Kind != ConfigFileKind.Bootstrap;

    public IReadOnlyList<ConfigError> Problems => _problems;

    /// <summary>Every cluster of this file that has a name, including those with errors.</summary>
    public List<ClusterDeclaration> DeclaredClusters { get; } = [];

    public int ErrorCount { get; private set; }

    /// <summary>
    /// True once a problem made the file unparseable for Envoy's protobuf JSON parser (syntax, wrong JSON type,
    /// bad duration, oneof conflict): Envoy counts that as <c>update_failure</c> rather than <c>update_rejected</c>.
    /// </summary>
    public bool ParseFailed { get; private set; }

    public SourceLocation Location(int line) => new(File, line);

    /// <summary>A validation error (Envoy: PGV constraint or a consumer refusing the resource).</summary>
    public void Error(int line, string path, string message, string? fix = null) =>
        Add(new ConfigError(File, line, path, message, fix));

    /// <summary>An error Envoy's protobuf JSON parser itself would raise.</summary>
    public void ParseError(int line, string path, string message, string? fix = null)
    {
        ParseFailed = true;
        Add(new ConfigError(File, line, path, message, fix));
    }

    public void Warning(int line, string path, string message, string? fix = null) =>
        Add(new ConfigError(File, line, path, message, fix, ConfigErrorSeverity.Warning));

    public void Deprecated(int line, string path, string field, string fix) =>
        Warning(line, path, $"'{field}' is deprecated (Envoy still accepts it and so does kubegate)", fix);

    public void UnknownField(int line, string path, string key, string typeName, string? fix)
    {
        string message;
        ConfigErrorSeverity severity;
        if (!IsDynamic)
        {
            message = $"unknown field '{key}' in {typeName} (unknown fields are fatal in the bootstrap, as in Envoy)";
            severity = ConfigErrorSeverity.Error;
        }
        else if (Options.RejectUnknownDynamicFields)
        {
            message = $"unknown field '{key}' in {typeName} (rejected because of --reject-unknown-dynamic-fields)";
            severity = ConfigErrorSeverity.Error;
        }
        else
        {
            message = $"unknown field '{key}' in {typeName} is ignored (as Envoy does for dynamic resources)";
            severity = ConfigErrorSeverity.Warning;
        }

        Add(new ConfigError(File, line, path, message, fix, severity) { IsUnknownField = true });
    }

    public void Add(ConfigError problem)
    {
        if (problem.Severity == ConfigErrorSeverity.Error)
        {
            ErrorCount++;
        }

        _problems.Add(problem);
    }
}
