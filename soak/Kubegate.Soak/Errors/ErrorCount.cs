namespace Kubegate.Soak.Errors;

/// <summary>How many errors of one source and kind, expected or not, with up to three example messages.</summary>
internal sealed record ErrorCount(ErrorSource Source, ErrorKind Kind, bool Expected, long Count, IReadOnlyList<string> Examples);
