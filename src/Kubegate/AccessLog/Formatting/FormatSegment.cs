namespace Kubegate.AccessLog.Formatting;

/// <summary>One segment of a parsed format: literal text or one command.</summary>
/// <param name="Op">What it renders.</param>
/// <param name="Text">The literal, the constant, or the command's argument (a strftime pattern).</param>
/// <param name="MaxLength">Envoy's <c>:N</c> truncation; 0 for none.</param>
internal readonly record struct FormatSegment(FormatOp Op, string? Text, int MaxLength);
