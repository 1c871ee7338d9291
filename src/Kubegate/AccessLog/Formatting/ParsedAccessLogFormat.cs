namespace Kubegate.AccessLog.Formatting;

/// <summary>An access-log format as parsed once at config load: text segments, or a JSON member tree.</summary>
/// <param name="Text">The segments of a text format; null for JSON.</param>
/// <param name="Json">The members of a JSON format; null for text.</param>
/// <param name="OmitEmptyValues"><c>omit_empty_values</c>.</param>
internal sealed record ParsedAccessLogFormat(FormatSegment[]? Text, FormatJsonNode[]? Json, bool OmitEmptyValues);
