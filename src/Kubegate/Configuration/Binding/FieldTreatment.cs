namespace Kubegate.Configuration.Binding;

/// <summary>What kubegate does with an Envoy field outside the subset it implements.</summary>
internal enum FieldTreatment
{
    /// <summary>Accepted without a word: it has no effect on a TCP passthrough proxy in Envoy either.</summary>
    Silent,

    /// <summary>Accepted with a warning: Envoy would act on it, kubegate does not.</summary>
    Ignored,

    /// <summary>Refused: ignoring it would change what the configuration means.</summary>
    Unsupported,
}
