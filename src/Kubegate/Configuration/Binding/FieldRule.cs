namespace Kubegate.Configuration.Binding;

/// <summary>How one known-but-unimplemented Envoy field is treated, with the words to say about it.</summary>
internal sealed record FieldRule(FieldTreatment Treatment, string? Reason = null, string? Fix = null);
