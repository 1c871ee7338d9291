using Kubegate.Configuration.Yaml;

namespace Kubegate.Configuration.Binding;

/// <summary>One item of a repeated field, with the path (<c>…[i]</c>) and line to report problems at.</summary>
internal readonly record struct Element(ConfigNode Node, string Path, int Line, int Index);
