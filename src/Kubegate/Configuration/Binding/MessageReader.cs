using System.Text;
using Kubegate.Configuration.Yaml;
using Kubegate.Infrastructure;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// Reads the fields of one proto message from a <see cref="ConfigMapping"/> by proto3-JSON rules: each field under its
/// proto name (snake_case) or its JSON name (lowerCamelCase). Binders look up every field they implement through
/// <see cref="Find"/> (present or not); <see cref="Finish"/> then reports what is left: Envoy fields kubegate does not
/// implement per <see cref="FieldRules"/>, and unknown fields with a hint.
/// </summary>
internal sealed partial class MessageReader
{
    /// <summary>
    /// Test hook: when set on a thread, receives (message type, proto field name) for every field a binder looks up on
    /// that thread, so the documentation test can compare the field reference with what the binders really read.
    /// Null in production, where it costs one thread-static read per lookup. Loading is synchronous, hence per thread.
    /// </summary>
    [ThreadStatic]
    internal static Action<string, string>? FieldQueried;

    private readonly ConfigMapping _map;
    private readonly bool[] _consumed;
    private readonly List<string> _queried = [];
    private bool _finished;

    private MessageReader(BindContext context, ConfigMapping map, string path, string typeName)
    {
        Context = context;
        _map = map;
        _consumed = new bool[map.Entries.Length];
        Path = path;
        TypeName = typeName;
    }

    public BindContext Context { get; }

    /// <summary>Path of this message, e.g. <c>resources[0].health_checks[0]</c>; empty at the file root.</summary>
    public string Path { get; }

    /// <summary>Full proto name, e.g. <c>envoy.config.cluster.v3.Cluster</c>.</summary>
    public string TypeName { get; }

    public int Line => _map.Line;

    public ConfigMapping Node => _map;

    public static MessageReader? Open(BindContext context, Field field, string typeName) =>
        field.HasValue ? Open(context, field.Node, field.Path, typeName, field.Line) : null;

    /// <summary>A reader over <paramref name="node"/>, or null (after reporting) when it is not an object.</summary>
    public static MessageReader? Open(BindContext context, ConfigNode? node, string path, string typeName, int? line = null)
    {
        if (node is null or ConfigScalar { IsNull: true })
        {
            return null;
        }

        if (node is not ConfigMapping map)
        {
            context.ParseError(line ?? node.Line, path, $"expected an object ({ShortName(typeName)}), found {node.Describe()}");
            return null;
        }

        return new MessageReader(context, map, path, typeName);
    }

    /// <summary>
    /// Reads a <c>google.protobuf.Any</c>: <c>"@type"</c> plus the fields of the message it names. Returns null (after
    /// reporting) when the value is not an object or has no <c>@type</c>.
    /// </summary>
    public static AnyMessage? OpenAny(BindContext context, Field field, string expectedTypeName)
    {
        if (!field.HasValue)
        {
            return null;
        }

        if (field.Node is not ConfigMapping map)
        {
            context.ParseError(field.Line, field.Path, $"expected an object with \"@type\", found {field.Node!.Describe()}");
            return null;
        }

        var index = -1;
        for (var i = 0; i < map.Entries.Length; i++)
        {
            if (map.Entries[i].Key == "@type")
            {
                index = i;
                break;
            }
        }

        var fix = $"write \"@type\": {ProtoTypes.Url(expectedTypeName)}";
        if (index < 0)
        {
            context.ParseError(field.Line, field.Path, "missing \"@type\": a typed_config names its message type", fix);
            return null;
        }

        var entry = map.Entries[index];
        if (entry.Value is not ConfigScalar { Kind: ScalarKind.String } typeScalar || typeScalar.Text.Length == 0)
        {
            context.ParseError(entry.Line, Child(field.Path, "@type"), $"\"@type\" must be a type URL string, found {entry.Value.Describe()}", fix);
            return null;
        }

        var body = new MessageReader(context, map, field.Path, ProtoTypes.MessageName(typeScalar.Text));
        body._consumed[index] = true;
        return new AnyMessage(typeScalar.Text, entry.Line, body);
    }

    public string Child(string key) => Child(Path, key);

    public static string Child(string path, string key) => path.Length == 0 ? key : path + "." + key;

    /// <summary>Looks up a field by its proto name; registers the name as known to this message.</summary>
    public Field Find(string name)
    {
        _queried.Add(name);
        FieldQueried?.Invoke(TypeName, name);
        var jsonName = ToJsonName(name);
        var found = -1;
        for (var i = 0; i < _map.Entries.Length; i++)
        {
            var key = _map.Entries[i].Key;
            if (!string.Equals(key, name, StringComparison.Ordinal) && !string.Equals(key, jsonName, StringComparison.Ordinal))
            {
                continue;
            }

            _consumed[i] = true;
            if (found >= 0)
            {
                Context.ParseError(_map.Entries[i].Line, Child(key), $"field '{name}' is set twice in this object", "keep one of them");
                continue;
            }

            found = i;
        }

        if (found < 0)
        {
            return new Field(name, name, null, Child(name), _map.Line);
        }

        var entry = _map.Entries[found];
        return new Field(name, entry.Key, entry.Value, Child(entry.Key), entry.Line);
    }

    /// <summary>True when the field is written (even as null), without reading it.</summary>
    public bool IsWritten(string name)
    {
        var jsonName = ToJsonName(name);
        foreach (var entry in _map.Entries)
        {
            if (entry.Key == name || entry.Key == jsonName)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reports a missing required field at this message's line.</summary>
    public void Missing(string name, string? fix = null, string? message = null) =>
        Context.Error(Line, Child(name), message ?? $"missing required field '{name}'", fix);

    /// <summary>Reports every field no binder asked for: unimplemented Envoy fields and unknown fields.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        for (var i = 0; i < _map.Entries.Length; i++)
        {
            if (_consumed[i])
            {
                continue;
            }

            var entry = _map.Entries[i];
            var name = ToProtoName(entry.Key);
            var path = Child(entry.Key);
            var rule = FieldRules.Find(TypeName, name);
            switch (rule?.Treatment)
            {
                case FieldTreatment.Silent:
                    break;
                case FieldTreatment.Ignored:
                    Context.Warning(entry.Line, path, rule.Reason is null ? "ignored by kubegate" : "ignored by kubegate: " + rule.Reason, rule.Fix);
                    break;
                case FieldTreatment.Unsupported:
                    Context.Error(entry.Line, path, rule.Reason ?? "not supported by kubegate", rule.Fix);
                    break;
                default:
                    var hint = entry.Key == "@type"
                        ? "\"@type\" belongs only in typed_config and in the resources[] entries of LDS/CDS/EDS files; remove it here"
                        : FieldRules.Hint(TypeName, name) ?? DidYouMean(name);
                    Context.UnknownField(entry.Line, path, entry.Key, TypeName, hint);
                    break;
            }
        }
    }

    /// <summary>protobuf's JSON name: <c>stat_prefix</c> → <c>statPrefix</c>, <c>consecutive_5xx</c> → <c>consecutive5xx</c>.</summary>
    public static string ToJsonName(string protoName)
    {
        if (!protoName.Contains('_', StringComparison.Ordinal))
        {
            return protoName;
        }

        var builder = new StringBuilder(protoName.Length);
        var upper = false;
        foreach (var c in protoName)
        {
            if (c == '_')
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        return builder.ToString();
    }

    private static string ToProtoName(string key)
    {
        if (!key.Any(char.IsAsciiLetterUpper))
        {
            return key;
        }

        var builder = new StringBuilder(key.Length + 4);
        foreach (var c in key)
        {
            if (char.IsAsciiLetterUpper(c))
            {
                builder.Append('_').Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private string? DidYouMean(string name)
    {
        var normalized = Normalize(name);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in _queried.Concat(FieldRules.KnownButUnimplemented(TypeName)).Distinct(StringComparer.Ordinal))
        {
            var distance = Normalize(candidate) == normalized ? 0 : EditDistance.Between(name, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        var allowed = name.Length <= 4 ? 1 : name.Length <= 10 ? 2 : 3;
        return best is not null && bestDistance <= allowed ? $"did you mean '{best}'?" : null;
    }

    private static string Normalize(string name) => name.Replace("_", string.Empty, StringComparison.Ordinal).ToLowerInvariant();

    private static string ShortName(string typeName)
    {
        var dot = typeName.LastIndexOf('.');
        return dot >= 0 ? typeName[(dot + 1)..] : typeName;
    }
}
