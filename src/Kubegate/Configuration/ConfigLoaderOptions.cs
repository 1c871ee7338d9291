namespace Kubegate.Configuration;

/// <summary>How <see cref="ConfigLoader"/> treats the files it reads.</summary>
internal sealed record ConfigLoaderOptions
{
    /// <summary><c>--reject-unknown-dynamic-fields</c>: unknown fields in LDS/CDS/EDS files are errors, not warnings.</summary>
    public bool RejectUnknownDynamicFields { get; init; }

    /// <summary>Directory that relative paths resolve against (Envoy: the process working directory).</summary>
    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;
}
