namespace Kubegate.Configuration;

/// <summary>A <c>HeaderValueOption</c>: header to add to health-check requests.</summary>
internal sealed record HeaderValueOptionConfig(string Key, string Value, bool Append);
