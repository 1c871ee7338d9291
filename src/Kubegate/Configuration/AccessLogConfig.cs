namespace Kubegate.Configuration;

/// <summary>
/// An <c>AccessLog</c> entry: <c>envoy.access_loggers.file</c>, <c>stdout</c> or <c>stderr</c>. Parsed and kept by the
/// core; rendering and writing belong to the access-log component.
/// </summary>
internal sealed record AccessLogConfig
{
    public required string Name { get; init; }

    /// <summary>The <c>typed_config</c> <c>@type</c>, e.g. <c>type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog</c>.</summary>
    public required string TypeUrl { get; init; }

    /// <summary>Destination file for the file logger; null for stdout/stderr.</summary>
    public string? Path { get; init; }

    /// <summary>
    /// The text format: deprecated <c>format</c>, <c>log_format.text_format</c> or
    /// <c>log_format.text_format_source.inline_string</c>. Null when JSON or the default format is used.
    /// </summary>
    public string? TextFormat { get; init; }

    /// <summary><c>log_format.json_format</c> as flattened key → format-string pairs (nested objects use dotted keys).</summary>
    public EquatableDictionary<string>? JsonFormat { get; init; }

    public bool OmitEmptyValues { get; init; }

    public SourceLocation Location { get; init; }
}
