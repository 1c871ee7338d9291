namespace Kubegate.Configuration.Binding;

/// <summary>
/// Binds a file-based <c>envoy.config.core.v3.ConfigSource</c> (<c>path_config_source</c> or the deprecated
/// <c>path</c>) and checks that the file exists, as Envoy does when it sets up the subscription.
/// </summary>
internal static class ConfigSourceBinder
{
    public static ConfigSourceConfig? Bind(BindContext ctx, Field field)
    {
        var m = MessageReader.Open(ctx, field, ProtoTypes.ConfigSource);
        if (m is null)
        {
            return null;
        }

        var versionField = m.Find("resource_api_version");
        if (ProtoValues.Enum(ctx, versionField, ProtoEnum.ApiVersion) == 1)
        {
            ctx.Error(versionField.Line, versionField.Path, "xDS API version V2 is no longer supported", "write resource_api_version: V3 (or leave it out)");
        }

        var legacyPath = m.Find("path");
        var pathConfigSource = m.Find("path_config_source");
        string? path = null;
        Field pathField = default;
        string? watchedDirectory = null;
        Field watchedField = default;

        if (legacyPath.HasValue && pathConfigSource.HasValue)
        {
            ctx.ParseError(
                pathConfigSource.Line,
                m.Path,
                "'path' and 'path_config_source' are both set; they are alternatives (oneof config_source_specifier)",
                "keep path_config_source: {path: ...} and remove the deprecated path");
        }
        else if (legacyPath.HasValue)
        {
            path = ProtoValues.String(ctx, legacyPath);
            pathField = legacyPath;
            if (path is not null)
            {
                ctx.Deprecated(legacyPath.Line, legacyPath.Path, "path", $"write path_config_source: {{path: {path}}}");
            }
        }
        else if (pathConfigSource.HasValue)
        {
            var source = MessageReader.Open(ctx, pathConfigSource, ProtoTypes.PathConfigSource);
            if (source is not null)
            {
                pathField = source.Find("path");
                path = ProtoValues.String(ctx, pathField);
                if (path is null && !pathField.HasValue)
                {
                    source.Missing("path", "write path: <file>");
                }

                var watched = source.Message("watched_directory", ProtoTypes.WatchedDirectory);
                if (watched is not null)
                {
                    watchedField = watched.Find("path");
                    watchedDirectory = ProtoValues.String(ctx, watchedField);
                    if (watchedDirectory is null && !watchedField.HasValue)
                    {
                        watched.Missing("path", "write watched_directory: {path: <directory>}");
                    }

                    watched.Finish();
                }

                source.Finish();
            }
        }
        else if (!m.IsWritten("api_config_source") && !m.IsWritten("ads") && !m.IsWritten("self"))
        {
            ctx.Error(m.Line, m.Path, "a ConfigSource needs path_config_source (kubegate reads xDS from files only)", "write path_config_source: {path: <file>}");
        }

        m.Finish();
        if (path is null)
        {
            return null;
        }

        if (path.Length == 0)
        {
            ctx.Error(pathField.Line, pathField.Path, "the path must not be empty", "write the file's path");
            return null;
        }

        if (PathResolver.Problem(path) is { } invalid)
        {
            ctx.Error(pathField.Line, pathField.Path, invalid, "write the file's path");
            return null;
        }

        var fullPath = ctx.Paths.Resolve(path);
        if (!File.Exists(fullPath))
        {
            ctx.Error(
                pathField.Line,
                pathField.Path,
                $"paths must refer to an existing path in the system: '{path}' does not exist",
                ctx.Paths.MissingFileFix(path, System.IO.Path.GetDirectoryName(ctx.FullPath)));
            return null;
        }

        string? watchedFullPath = null;
        if (watchedDirectory is not null)
        {
            if (PathResolver.Problem(watchedDirectory) is { } invalidDirectory)
            {
                ctx.Error(watchedField.Line, watchedField.Path, invalidDirectory, "write the directory's path");
                return null;
            }

            watchedFullPath = ctx.Paths.Resolve(watchedDirectory);
            if (!Directory.Exists(watchedFullPath))
            {
                ctx.Error(
                    watchedField.Line,
                    watchedField.Path,
                    $"watched directory '{watchedDirectory}' does not exist",
                    ctx.Paths.MissingFileFix(watchedDirectory, System.IO.Path.GetDirectoryName(ctx.FullPath)));
                return null;
            }
        }

        return new ConfigSourceConfig(path, fullPath, watchedFullPath) { Location = ctx.Location(pathField.Line) };
    }
}
