namespace Kubegate.Configuration.Binding;

/// <summary>A bound <c>envoy.config.core.v3.DataSource</c>: a file (resolved full path) or inline text.</summary>
internal readonly record struct DataSourceValue(string? FullPath, string? Inline);
