using System.Collections.Immutable;

namespace Kubegate.Configuration.Binding;

/// <summary>Shorthands: look a field up and read it with the matching <see cref="ProtoValues"/> rule.</summary>
internal sealed partial class MessageReader
{
    public string? String(string name) => ProtoValues.String(Context, Find(name));

    /// <summary>A string field with PGV <c>min_len: 1</c>: reports when missing or empty.</summary>
    public string? RequiredString(string name, string? fix = null)
    {
        var field = Find(name);
        var value = ProtoValues.String(Context, field);
        if (value is null && !field.HasValue)
        {
            Missing(name, fix);
        }
        else if (value is { Length: 0 })
        {
            Context.Error(field.Line, field.Path, $"'{name}' must not be empty", fix);
            return null;
        }

        return value;
    }

    public uint? UInt32(string name) => ProtoValues.UInt32(Context, Find(name), wrapper: false);

    /// <summary>A <c>google.protobuf.UInt32Value</c> field.</summary>
    public uint? UInt32Value(string name) => ProtoValues.UInt32(Context, Find(name), wrapper: true);

    public long? Int64(string name) => ProtoValues.Int64(Context, Find(name));

    public bool? Bool(string name) => ProtoValues.Bool(Context, Find(name), wrapper: false);

    /// <summary>A <c>google.protobuf.BoolValue</c> field.</summary>
    public bool? BoolValue(string name) => ProtoValues.Bool(Context, Find(name), wrapper: true);

    public double? Double(string name) => ProtoValues.Double(Context, Find(name), wrapper: false);

    public TimeSpan? Duration(string name, bool positive = false, TimeSpan? minimum = null) =>
        ProtoValues.Duration(Context, Find(name), positive, minimum);

    public double? Percent(string name) => ProtoValues.Percent(Context, Find(name));

    public int? Enum(string name, ProtoEnum protoEnum) => ProtoValues.Enum(Context, Find(name), protoEnum);

    public ImmutableArray<Element> List(string name) => ProtoValues.List(Context, Find(name));

    public EquatableArray<string> StringList(string name) => ProtoValues.StringList(Context, Find(name));

    public MessageReader? Message(string name, string typeName) => Open(Context, Find(name), typeName);

    /// <summary>An element of a repeated message field as a message.</summary>
    public MessageReader? Message(Element element, string typeName) => Open(Context, element.Node, element.Path, typeName, element.Line);
}
