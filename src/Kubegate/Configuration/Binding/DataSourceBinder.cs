using System.Text;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// Binds <c>envoy.config.core.v3.DataSource</c>: exactly one of <c>filename</c>, <c>inline_string</c>,
/// <c>inline_bytes</c> (base64 in JSON) or <c>environment_variable</c>. Files must exist (resolved against the working
/// directory, as Envoy opens them).
/// </summary>
internal static class DataSourceBinder
{
    public static DataSourceValue? Bind(BindContext ctx, Field field, string what)
    {
        var m = MessageReader.Open(ctx, field, ProtoTypes.DataSource);
        if (m is null)
        {
            return null;
        }

        var filename = m.Find("filename");
        var inlineString = m.Find("inline_string");
        var inlineBytes = m.Find("inline_bytes");
        var environment = m.Find("environment_variable");
        m.Find("watched_directory");
        m.Finish();

        var set = new[] { filename, inlineString, inlineBytes, environment }.Where(f => f.HasValue).ToList();
        if (set.Count == 0)
        {
            ctx.Error(m.Line, m.Path, $"{what} needs one of filename, inline_string, inline_bytes or environment_variable", "write filename: <path>");
            return null;
        }

        if (set.Count > 1)
        {
            ctx.ParseError(set[1].Line, m.Path, $"'{set[0].Key}' and '{set[1].Key}' are both set; they are alternatives (oneof specifier)", "keep one of them");
            return null;
        }

        if (filename.HasValue)
        {
            var path = ProtoValues.String(ctx, filename);
            if (path is null)
            {
                return null;
            }

            if (path.Length == 0)
            {
                ctx.Error(filename.Line, filename.Path, "filename must not be empty");
                return null;
            }

            if (PathResolver.Problem(path) is { } invalid)
            {
                ctx.Error(filename.Line, filename.Path, invalid, "write the file's path");
                return null;
            }

            var fullPath = ctx.Paths.Resolve(path);
            if (!File.Exists(fullPath))
            {
                ctx.Error(
                    filename.Line,
                    filename.Path,
                    $"Invalid path: {path} ({what} file does not exist)",
                    ctx.Paths.MissingFileFix(path, Path.GetDirectoryName(ctx.FullPath)));
                return null;
            }

            return new DataSourceValue(fullPath, null);
        }

        if (inlineString.HasValue)
        {
            var text = ProtoValues.String(ctx, inlineString);
            return text is null ? null : new DataSourceValue(null, text);
        }

        if (inlineBytes.HasValue)
        {
            var base64 = ProtoValues.String(ctx, inlineBytes);
            if (base64 is null)
            {
                return null;
            }

            try
            {
                return new DataSourceValue(null, Encoding.UTF8.GetString(Convert.FromBase64String(base64)));
            }
            catch (FormatException)
            {
                ctx.ParseError(inlineBytes.Line, inlineBytes.Path, "inline_bytes must be base64", "write the text under inline_string instead");
                return null;
            }
        }

        var variable = ProtoValues.String(ctx, environment);
        if (variable is null)
        {
            return null;
        }

        var value = Environment.GetEnvironmentVariable(variable);
        if (value is null)
        {
            ctx.Error(environment.Line, environment.Path, $"environment variable {variable} is not set", $"export {variable} before starting kubegate, or use filename");
            return null;
        }

        return new DataSourceValue(null, value);
    }

    /// <summary>A DataSource read as text (a file's content is read now, as Envoy does at load).</summary>
    public static string? ReadText(BindContext ctx, Field field, string what)
    {
        var value = Bind(ctx, field, what);
        if (value is not { } source)
        {
            return null;
        }

        if (source.FullPath is null)
        {
            return source.Inline;
        }

        try
        {
            return File.ReadAllText(source.FullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ctx.Error(field.Line, field.Path, $"cannot read {what} file: {ex.Message}");
            return null;
        }
    }
}
