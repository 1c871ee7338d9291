using System.Text.Json;

namespace Kubegate.AccessLog.Formatting;

/// <summary>One member of a parsed <c>json_format</c>: a value (segments) or a nested object (children).</summary>
/// <param name="Name">The key, pre-encoded.</param>
/// <param name="Value">The value's segments; null for a nested object.</param>
/// <param name="Children">The nested members; null for a value.</param>
internal sealed record FormatJsonNode(JsonEncodedText Name, FormatSegment[]? Value, FormatJsonNode[]? Children);
