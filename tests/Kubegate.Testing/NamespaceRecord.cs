namespace Kubegate.Testing;

/// <summary>One namespace as the fake apiserver stores it.</summary>
internal sealed record NamespaceRecord(string Name, string Uid, long ResourceVersion, DateTimeOffset CreationTimestamp, string Phase = "Active");
