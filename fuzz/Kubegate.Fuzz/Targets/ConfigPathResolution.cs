namespace Kubegate.Fuzzing;

/// <summary>Whether a problem's field path names a place in the parsed document.</summary>
internal enum ConfigPathResolution
{
    /// <summary>Every segment names a key or list index that is there.</summary>
    Found,

    /// <summary>All but the last segment is there and the last is a plain field name: a required field left out.</summary>
    MissingField,

    /// <summary>The path leads nowhere in the document.</summary>
    Unresolved,
}
