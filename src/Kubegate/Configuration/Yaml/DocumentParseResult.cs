namespace Kubegate.Configuration.Yaml;

/// <summary>The outcome of parsing one file's text: a root node (null for an empty file) or a syntax error.</summary>
/// <param name="Root">The document's root; null when the file holds no document or an error occurred.</param>
/// <param name="Error">The syntax error, or null.</param>
/// <param name="ErrorLine">1-based line of <paramref name="Error"/>; 0 when unknown.</param>
/// <param name="ErrorFix">A suggestion for <paramref name="Error"/>, or null.</param>
internal sealed record DocumentParseResult(ConfigNode? Root, string? Error = null, int ErrorLine = 0, string? ErrorFix = null)
{
    public bool Succeeded => Error is null;
}
