namespace Kubegate.Configuration.Yaml;

/// <summary>A scalar: its text as written (unescaped) and the JSON type Envoy would give it.</summary>
internal sealed class ConfigScalar : ConfigNode
{
    public ConfigScalar(int line, string text, ScalarKind kind, bool isQuoted)
        : base(line)
    {
        Text = text;
        Kind = kind;
        IsQuoted = isQuoted;
    }

    public string Text { get; }

    public ScalarKind Kind { get; }

    /// <summary>True for quoted/block YAML scalars and JSON strings.</summary>
    public bool IsQuoted { get; }

    public bool IsNull => Kind == ScalarKind.Null;

    /// <summary>The value of a <see cref="ScalarKind.Boolean"/> scalar.</summary>
    public bool BooleanValue => Kind == ScalarKind.Boolean && YamlScalarRules.IsTrueWord(Text);

    public override string Describe() => Kind switch
    {
        ScalarKind.Null => "null",
        ScalarKind.Number => $"the number {Text}",
        ScalarKind.Boolean => $"the boolean {Text}",
        _ => $"the string \"{Text}\"",
    };
}
