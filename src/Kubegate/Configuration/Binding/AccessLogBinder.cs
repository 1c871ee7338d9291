using System.Collections.Immutable;
using Kubegate.AccessLog.Formatting;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// Binds <c>access_log[]</c> entries: the file, stdout and stderr loggers with their format. Command operators
/// (<c>%START_TIME%</c>, …) are checked by the access-log component, not here.
/// </summary>
internal static class AccessLogBinder
{
    private const string Expected = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog, "
        + "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog or "
        + "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog";

    public static EquatableArray<AccessLogConfig> BindList(BindContext ctx, Field field)
    {
        var builder = ImmutableArray.CreateBuilder<AccessLogConfig>();
        foreach (var element in ProtoValues.List(ctx, field))
        {
            var log = MessageReader.Open(ctx, element.Node, element.Path, ProtoTypes.AccessLog, element.Line);
            if (log is not null && Bind(ctx, log) is { } config)
            {
                builder.Add(config);
            }
        }

        return builder.ToImmutable();
    }

    public static AccessLogConfig? Bind(BindContext ctx, MessageReader m)
    {
        var name = m.String("name") ?? string.Empty;
        var typedConfigField = m.Find("typed_config");
        AccessLogConfig? result = null;

        if (!typedConfigField.HasValue)
        {
            // Without typed_config Envoy looks the logger up by name and uses its default config.
            var typeName = name switch
            {
                "envoy.access_loggers.stdout" => ProtoTypes.StdoutAccessLog,
                "envoy.access_loggers.stderr" => ProtoTypes.StderrAccessLog,
                _ => null,
            };
            if (typeName is not null)
            {
                result = new AccessLogConfig { Name = name, TypeUrl = ProtoTypes.Url(typeName), Location = ctx.Location(m.Line) };
            }
            else if (name is "envoy.access_loggers.file" or "envoy.file_access_log")
            {
                m.Missing("typed_config", "write typed_config: {\"@type\": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog, path: /dev/stdout}", "the file access logger needs a typed_config with its path");
            }
            else
            {
                m.Missing("typed_config", $"write typed_config with \"@type\": {Expected}");
            }
        }
        else if (MessageReader.OpenAny(ctx, typedConfigField, ProtoTypes.FileAccessLog) is { } any)
        {
            if (any.Is(ProtoTypes.FileAccessLog))
            {
                result = BindFile(ctx, any, name, m.Line);
            }
            else if (any.Is(ProtoTypes.StdoutAccessLog) || any.Is(ProtoTypes.StderrAccessLog))
            {
                var format = ReadFormat(ctx, any.Body.Find("log_format"));
                any.Body.Finish();
                if (format is not null)
                {
                    result = new AccessLogConfig
                    {
                        Name = name,
                        TypeUrl = any.TypeUrl,
                        TextFormat = format.Text,
                        JsonFormat = format.Json,
                        OmitEmptyValues = format.OmitEmptyValues,
                        Location = ctx.Location(m.Line),
                    };
                }
            }
            else
            {
                ctx.Error(
                    any.TypeLine,
                    MessageReader.Child(typedConfigField.Path, "@type"),
                    $"kubegate supports the file, stdout and stderr access loggers; \"@type\" '{any.TypeUrl}' is not one of them",
                    $"write \"@type\": {Expected}");
            }
        }

        m.Finish();
        return result;
    }

    private static AccessLogConfig? BindFile(BindContext ctx, AnyMessage any, string name, int line)
    {
        var body = any.Body;
        var pathField = body.Find("path");
        var path = ProtoValues.String(ctx, pathField);
        var legacyFormat = body.Find("format");
        var legacyJson = body.Find("json_format");
        var typedJson = body.Find("typed_json_format");
        var logFormat = body.Find("log_format");

        var set = new[] { legacyFormat, legacyJson, typedJson, logFormat }.Where(f => f.HasValue).ToList();
        Format? format = new(null, null, false);
        if (set.Count > 1)
        {
            ctx.ParseError(
                set[1].Line,
                body.Path,
                $"'{set[0].Key}' and '{set[1].Key}' are both set; they are alternatives (oneof access_log_format)",
                "keep log_format only");
            format = null;
        }
        else if (legacyFormat.HasValue)
        {
            var text = ProtoValues.String(ctx, legacyFormat);
            ctx.Deprecated(legacyFormat.Line, legacyFormat.Path, "format", "write log_format: {text_format_source: {inline_string: \"...\\n\"}}");
            format = text is null || !CheckFormat(ctx, legacyFormat.Line, legacyFormat.Path, text, null) ? null : new Format(text, null, false);
        }
        else if (legacyJson.HasValue)
        {
            ctx.Deprecated(legacyJson.Line, legacyJson.Path, "json_format", "write log_format: {json_format: {...}}");
            var json = FlattenJson(ctx, legacyJson);
            format = json is null || !CheckFormat(ctx, legacyJson.Line, legacyJson.Path, null, json) ? null : new Format(null, json, false);
        }
        else if (typedJson.HasValue)
        {
            ctx.Deprecated(typedJson.Line, typedJson.Path, "typed_json_format", "write log_format: {json_format: {...}}");
            var json = FlattenJson(ctx, typedJson);
            format = json is null || !CheckFormat(ctx, typedJson.Line, typedJson.Path, null, json) ? null : new Format(null, json, false);
        }
        else if (logFormat.HasValue)
        {
            format = ReadFormat(ctx, logFormat);
        }

        body.Finish();
        if (path is null)
        {
            if (!pathField.HasValue)
            {
                ctx.Error(any.Body.Line, pathField.Path, "missing required field 'path' of the file access logger", "write path: /dev/stdout (or a log file)");
            }

            return null;
        }

        if (path.Length == 0)
        {
            ctx.Error(pathField.Line, pathField.Path, "the access-log path must not be empty", "write path: /dev/stdout (or a log file)");
            return null;
        }

        return format is null
            ? null
            : new AccessLogConfig
            {
                Name = name,
                TypeUrl = any.TypeUrl,
                Path = path,
                TextFormat = format.Text,
                JsonFormat = format.Json,
                OmitEmptyValues = format.OmitEmptyValues,
                Location = ctx.Location(line),
            };
    }

    /// <summary>Reads a <c>SubstitutionFormatString</c>; an absent one means Envoy's default format.</summary>
    private static Format? ReadFormat(BindContext ctx, Field field)
    {
        if (!field.HasValue)
        {
            return new Format(null, null, false);
        }

        var m = MessageReader.Open(ctx, field, ProtoTypes.SubstitutionFormatString);
        if (m is null)
        {
            return null;
        }

        var textFormat = m.Find("text_format");
        var jsonFormat = m.Find("json_format");
        var textSource = m.Find("text_format_source");
        var omitEmpty = m.Bool("omit_empty_values") ?? false;
        var set = new[] { textFormat, jsonFormat, textSource }.Where(f => f.HasValue).ToList();
        Format? result = null;
        var failed = false;
        if (set.Count > 1)
        {
            ctx.ParseError(set[1].Line, m.Path, $"'{set[0].Key}' and '{set[1].Key}' are both set; they are alternatives (oneof format)", "keep one of them");
            failed = true;
        }
        else if (textFormat.HasValue)
        {
            var text = ProtoValues.String(ctx, textFormat);
            ctx.Deprecated(textFormat.Line, textFormat.Path, "text_format", "write text_format_source: {inline_string: \"...\\n\"}");
            result = text is null ? null : new Format(text, null, omitEmpty);
            failed = text is null || !CheckFormat(ctx, textFormat.Line, textFormat.Path, text, null);
        }
        else if (jsonFormat.HasValue)
        {
            var json = FlattenJson(ctx, jsonFormat);
            result = json is null ? null : new Format(null, json, omitEmpty);
            failed = json is null || !CheckFormat(ctx, jsonFormat.Line, jsonFormat.Path, null, json);
        }
        else if (textSource.HasValue)
        {
            var text = DataSourceBinder.ReadText(ctx, textSource, "text_format_source");
            result = text is null ? null : new Format(text, null, omitEmpty);
            var inline = textSource.Node is ConfigMapping source && source.Entries.Any(e => e.Key == "inline_string")
                ? source.Entries.First(e => e.Key == "inline_string")
                : (ConfigMappingEntry?)null;
            failed = text is null || (inline is null
                ? !CheckFormat(ctx, textSource.Line, textSource.Path, text, null)
                : !CheckFormat(ctx, inline.Value.Line, MessageReader.Child(textSource.Path, "inline_string"), text, null));
        }
        else
        {
            result = new Format(null, null, omitEmpty);
        }

        m.Finish();
        return failed ? null : result;
    }

    /// <summary>Parses the format the way the access-log component will, so an unknown %COMMAND% is a config error.</summary>
    private static bool CheckFormat(BindContext ctx, int line, string path, string? text, EquatableDictionary<string>? json)
    {
        if (AccessLogFormatParser.TryParse(text, json, omitEmptyValues: false, out _, out var error))
        {
            return true;
        }

        string? fix = null;
        if (error!.StartsWith(AccessLogFormatParser.UnsupportedFieldPrefix, StringComparison.Ordinal))
        {
            var command = error[AccessLogFormatParser.UnsupportedFieldPrefix.Length..];
            fix = $"use a supported operator, e.g. %{AccessLogFormatParser.ClosestOperator(command)}%";
        }

        ctx.Error(line, path, error, fix);
        return false;
    }

    /// <summary>Flattens a JSON format Struct: nested objects become dotted keys (<c>{a: {b: "%X%"}}</c> → <c>a.b</c>).</summary>
    private static EquatableDictionary<string>? FlattenJson(BindContext ctx, Field field)
    {
        if (field.Node is not ConfigMapping map)
        {
            ctx.ParseError(field.Line, field.Path, $"json_format is an object of key: \"%OPERATOR%\" pairs, found {field.Node!.Describe()}");
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var ok = Flatten(ctx, map, field.Path, prefix: string.Empty, values);
        return ok ? new EquatableDictionary<string>(values) : null;
    }

    private static bool Flatten(BindContext ctx, ConfigMapping map, string path, string prefix, Dictionary<string, string> values)
    {
        var ok = true;
        foreach (var entry in map.Entries)
        {
            var key = prefix + entry.Key;
            var entryPath = MessageReader.Child(path, entry.Key);
            switch (entry.Value)
            {
                case ConfigMapping nested:
                    ok &= Flatten(ctx, nested, entryPath, key + ".", values);
                    break;
                case ConfigScalar { IsNull: false } scalar:
                    values[key] = scalar.Kind == ScalarKind.Boolean ? (scalar.BooleanValue ? "true" : "false") : scalar.Text;
                    break;
                case ConfigScalar:
                    break;
                default:
                    ctx.Error(entry.Line, entryPath, $"json_format values must be strings, numbers or nested objects, found {entry.Value.Describe()}");
                    ok = false;
                    break;
            }
        }

        return ok;
    }

    private sealed record Format(string? Text, EquatableDictionary<string>? Json, bool OmitEmptyValues);
}
