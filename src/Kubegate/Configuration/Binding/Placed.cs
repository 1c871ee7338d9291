namespace Kubegate.Configuration.Binding;

/// <summary>A bound resource and the field path it was read from (its file and line are in its <c>Location</c>).</summary>
internal readonly record struct Placed<T>(T Resource, string Path);
