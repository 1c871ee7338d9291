namespace Kubegate.Configuration.Yaml;

/// <summary>
/// A node of a parsed config file, the same for YAML and JSON input, carrying the 1-based line it starts on so every
/// problem can be reported as <c>file:line</c>.
/// </summary>
internal abstract class ConfigNode
{
    protected ConfigNode(int line) => Line = line;

    public int Line { get; }

    /// <summary>How the node reads in a message: "an object", "a list", "the number 5", …</summary>
    public abstract string Describe();
}
