namespace Kubegate.Configuration;

/// <summary>How bad a <see cref="ConfigError"/> is.</summary>
internal enum ConfigErrorSeverity
{
    /// <summary>The file (or, for a dynamic resource, the update) is refused.</summary>
    Error,

    /// <summary>Accepted, but the operator should look (unknown dynamic field, deprecated field, risky setting).</summary>
    Warning,
}

/// <summary>
/// One problem found in a config file. Validators append these to one list and never stop at the first, so an
/// operator sees every problem of every file in one run.
/// </summary>
/// <param name="File">The file as the operator named it (bootstrap path or the path written in the bootstrap/CDS).</param>
/// <param name="Line">1-based line of the offending value, or 0 when the problem concerns the whole file.</param>
/// <param name="Path">Field path inside the file, e.g. <c>resources[0].health_checks[0].timeout</c>.</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Fix">What to write instead; null when there is nothing more useful to say than the message.</param>
internal sealed record ConfigError(
    string File,
    int Line,
    string Path,
    string Message,
    string? Fix = null,
    ConfigErrorSeverity Severity = ConfigErrorSeverity.Error)
{
    /// <summary>True when this problem comes from a field the schema does not know.</summary>
    public bool IsUnknownField { get; init; }

    /// <summary>The one-line form printed by <c>--mode validate</c> and the logs: <c>file:line: path: message (fix)</c>.</summary>
    public override string ToString()
    {
        var where = Line > 0 ? $"{File}:{Line}" : File;
        var path = string.IsNullOrEmpty(Path) ? string.Empty : Path + ": ";
        var prefix = Severity == ConfigErrorSeverity.Warning ? "warning: " : string.Empty;
        return Fix is null ? $"{where}: {prefix}{path}{Message}" : $"{where}: {prefix}{path}{Message} ({Fix})";
    }
}
