using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// proto3-JSON scalar rules as Envoy's parser applies them (after its YAML → JSON step): strings must be JSON strings,
/// integers may be numbers or numeric strings, wrappers are plain values, <c>Duration</c> is a string like "5s",
/// <c>Percent</c> is an object, enums are names (case-insensitive) or numbers. Every function reports what it
/// rejects and returns null for "absent or invalid".
/// </summary>
internal static partial class ProtoValues
{
    private const long MaxDurationSeconds = 315_576_000_000;

    public static string? String(BindContext ctx, Field f)
    {
        if (!f.HasValue)
        {
            return null;
        }

        if (f.Node is ConfigScalar scalar)
        {
            if (scalar.Kind == ScalarKind.String)
            {
                return scalar.Text;
            }

            ctx.ParseError(f.Line, f.Path, $"expected a string, found {scalar.Describe()}", $"quote it: {f.Key}: \"{scalar.Text}\"");
            return null;
        }

        ctx.ParseError(f.Line, f.Path, $"expected a string, found {f.Node!.Describe()}");
        return null;
    }

    public static uint? UInt32(BindContext ctx, Field f, bool wrapper) =>
        (uint?)Integer(ctx, f, wrapper ? "UInt32Value" : null, 0, uint.MaxValue, "uint32");

    public static long? Int64(BindContext ctx, Field f) => Integer(ctx, f, null, long.MinValue, long.MaxValue, "int64");

    public static bool? Bool(BindContext ctx, Field f, bool wrapper)
    {
        if (!f.HasValue)
        {
            return null;
        }

        switch (f.Node)
        {
            case ConfigScalar { Kind: ScalarKind.Boolean } scalar:
                return scalar.BooleanValue;
            case ConfigMapping map when wrapper:
                WrapperObject(ctx, f, map, "BoolValue", "true");
                return null;
            case ConfigScalar { Kind: ScalarKind.String } scalar when scalar.Text is "true" or "false":
                ctx.ParseError(f.Line, f.Path, $"expected true or false, found {scalar.Describe()}", $"write {f.Key}: {scalar.Text} without quotes");
                return null;
            default:
                ctx.ParseError(f.Line, f.Path, $"expected true or false, found {f.Node!.Describe()}");
                return null;
        }
    }

    public static double? Double(BindContext ctx, Field f, bool wrapper)
    {
        if (!f.HasValue)
        {
            return null;
        }

        switch (f.Node)
        {
            case ConfigMapping map when wrapper:
                WrapperObject(ctx, f, map, "DoubleValue", "1.0");
                return null;
            case ConfigScalar { Kind: ScalarKind.Number or ScalarKind.String } scalar when TryParseDouble(scalar.Text, out var value):
                return value;
            default:
                ctx.ParseError(f.Line, f.Path, $"expected a number, found {f.Node!.Describe()}");
                return null;
        }
    }

    /// <summary>A <c>google.protobuf.Duration</c>: a string of seconds ending in a single <c>s</c>.</summary>
    /// <param name="positive">PGV <c>gt: {}</c>: zero is refused too.</param>
    /// <param name="minimum">PGV <c>gte</c>: refused below this.</param>
    public static TimeSpan? Duration(BindContext ctx, Field f, bool positive = false, TimeSpan? minimum = null)
    {
        if (!f.HasValue)
        {
            return null;
        }

        var value = ParseDuration(ctx, f);
        if (value is null)
        {
            return null;
        }

        if (value < TimeSpan.Zero)
        {
            ctx.Error(f.Line, f.Path, "a duration must not be negative", $"write \"{ProtoDurationText.Format(-(decimal)value.Value.Ticks / TimeSpan.TicksPerSecond)}\"");
            return null;
        }

        if (positive && value == TimeSpan.Zero)
        {
            ctx.Error(f.Line, f.Path, "must be greater than 0s");
            return null;
        }

        if (minimum is { } min && value < min)
        {
            ctx.Error(f.Line, f.Path, $"must be at least {ProtoDurationText.Format((decimal)min.Ticks / TimeSpan.TicksPerSecond)}");
            return null;
        }

        return value;
    }

    /// <summary>A <c>type.v3.Percent</c>: the object <c>{value: 50}</c>, 0–100.</summary>
    public static double? Percent(BindContext ctx, Field f)
    {
        if (!f.HasValue)
        {
            return null;
        }

        if (f.Node is ConfigScalar scalar)
        {
            var text = scalar.Kind == ScalarKind.String && !TryParseDouble(scalar.Text, out _) ? "50" : scalar.Text;
            ctx.ParseError(
                f.Line,
                f.Path,
                $"{f.Key} is a type.v3.Percent, which is an object, not a bare value; found {scalar.Describe()}",
                $"write `{f.Key}: {{value: {text}}}`");
            return null;
        }

        var message = MessageReader.Open(ctx, f, ProtoTypes.Percent);
        if (message is null)
        {
            return null;
        }

        var valueField = message.Find("value");
        var value = Double(ctx, valueField, wrapper: false) ?? 0;
        message.Finish();
        if (value is < 0 or > 100 || double.IsNaN(value))
        {
            ctx.Error(valueField.Line, valueField.Path, $"a percentage must be between 0 and 100, found {value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return value;
    }

    public static int? Enum(BindContext ctx, Field f, ProtoEnum protoEnum)
    {
        if (!f.HasValue)
        {
            return null;
        }

        if (f.Node is ConfigScalar { Kind: ScalarKind.String or ScalarKind.Number } scalar)
        {
            if (protoEnum.TryParse(scalar, out var number))
            {
                return number;
            }

            ctx.ParseError(f.Line, f.Path, $"unknown value '{scalar.Text}' for {f.Key}", $"use one of {protoEnum.Names}");
            return null;
        }

        ctx.ParseError(f.Line, f.Path, $"expected one of {protoEnum.Names}, found {f.Node!.Describe()}");
        return null;
    }

    public static ImmutableArray<Element> List(BindContext ctx, Field f)
    {
        if (!f.HasValue)
        {
            return [];
        }

        if (f.Node is not ConfigSequence sequence)
        {
            ctx.ParseError(f.Line, f.Path, $"{f.Key} is a list, found {f.Node!.Describe()}", $"write it as a list: one '- ' item per entry, or {f.Key}: [ ... ]");
            return [];
        }

        var builder = ImmutableArray.CreateBuilder<Element>(sequence.Items.Length);
        for (var i = 0; i < sequence.Items.Length; i++)
        {
            var item = sequence.Items[i];
            builder.Add(new Element(item, $"{f.Path}[{i}]", item.Line, i));
        }

        return builder.MoveToImmutable();
    }

    public static EquatableArray<string> StringList(BindContext ctx, Field f)
    {
        var builder = ImmutableArray.CreateBuilder<string>();
        foreach (var element in List(ctx, f))
        {
            var value = String(ctx, new Field(f.Name, $"{f.Key}[{element.Index}]", element.Node, element.Path, element.Line));
            if (value is not null)
            {
                builder.Add(value);
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>A <c>google.protobuf.Struct</c> whose values must be scalars; kept as text.</summary>
    public static EquatableDictionary<string> ScalarStruct(BindContext ctx, Field f)
    {
        if (!f.HasValue)
        {
            return EquatableDictionary<string>.Empty;
        }

        if (f.Node is not ConfigMapping map)
        {
            ctx.ParseError(f.Line, f.Path, $"expected an object (google.protobuf.Struct), found {f.Node!.Describe()}");
            return EquatableDictionary<string>.Empty;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            var path = MessageReader.Child(f.Path, entry.Key);
            switch (entry.Value)
            {
                case ConfigScalar { Kind: ScalarKind.Boolean } scalar:
                    values[entry.Key] = scalar.BooleanValue ? "true" : "false";
                    break;
                case ConfigScalar { IsNull: false } scalar:
                    values[entry.Key] = scalar.Text;
                    break;
                case ConfigScalar:
                    break;
                default:
                    ctx.Error(entry.Line, path, $"kubegate supports only string, number and boolean values here, found {entry.Value.Describe()}");
                    break;
            }
        }

        return new EquatableDictionary<string>(values);
    }

    private static long? Integer(BindContext ctx, Field f, string? wrapperName, long min, long max, string typeName)
    {
        if (!f.HasValue)
        {
            return null;
        }

        switch (f.Node)
        {
            case ConfigMapping map when wrapperName is not null:
                WrapperObject(ctx, f, map, wrapperName, "3");
                return null;
            case ConfigScalar { Kind: ScalarKind.Number or ScalarKind.String } scalar:
                if (decimal.TryParse(scalar.Text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value)
                    && scalar.Text.Trim() == scalar.Text && scalar.Text.Length > 0)
                {
                    if (value != decimal.Truncate(value))
                    {
                        ctx.ParseError(f.Line, f.Path, $"expected a whole number ({typeName}), found {scalar.Describe()}");
                        return null;
                    }

                    if (value < min || value > max)
                    {
                        ctx.ParseError(f.Line, f.Path, $"{scalar.Text} is out of range for a {typeName} ({min}..{max})");
                        return null;
                    }

                    return (long)value;
                }

                if (DurationLike().IsMatch(scalar.Text) && TryGoDurationSeconds(scalar.Text, out var seconds))
                {
                    var whole = decimal.Round(seconds, 0, MidpointRounding.AwayFromZero);
                    ctx.ParseError(
                        f.Line,
                        f.Path,
                        $"expected a whole number ({typeName}), found {scalar.Describe()}",
                        $"write `{f.Key}: {whole.ToString(CultureInfo.InvariantCulture)}` (a plain integer of seconds, not a duration)");
                    return null;
                }

                ctx.ParseError(f.Line, f.Path, $"expected a whole number ({typeName}), found {scalar.Describe()}");
                return null;
            default:
                ctx.ParseError(f.Line, f.Path, $"expected a whole number ({typeName}), found {f.Node!.Describe()}");
                return null;
        }
    }

    private static void WrapperObject(BindContext ctx, Field f, ConfigMapping map, string wrapperName, string example)
    {
        var inner = map.Entries.FirstOrDefault(e => e.Key == "value").Value as ConfigScalar;
        var shown = inner is { IsNull: false } ? inner.Text : example;
        ctx.ParseError(
            f.Line,
            f.Path,
            $"{f.Key} is a google.protobuf.{wrapperName}, which is written as a plain value, not as an object",
            $"write `{f.Key}: {shown}` (wrapper types are plain values)");
    }

    private static TimeSpan? ParseDuration(BindContext ctx, Field f)
    {
        switch (f.Node)
        {
            case ConfigMapping map:
            {
                decimal seconds = 0;
                foreach (var entry in map.Entries)
                {
                    if (entry.Value is ConfigScalar scalar && decimal.TryParse(scalar.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var part))
                    {
                        seconds += entry.Key switch
                        {
                            "seconds" => part,
                            "nanos" => part / 1_000_000_000m,
                            _ => 0,
                        };
                    }
                }

                ctx.ParseError(
                    f.Line,
                    f.Path,
                    "a google.protobuf.Duration is written as a string of seconds ending in 's', not as an object",
                    $"write \"{ProtoDurationText.Format(seconds)}\"");
                return null;
            }

            case ConfigScalar { Kind: ScalarKind.Number } number:
                ctx.ParseError(
                    f.Line,
                    f.Path,
                    $"a google.protobuf.Duration is a string of seconds ending in 's', found {number.Describe()}",
                    $"write \"{number.Text}s\"");
                return null;

            case ConfigScalar { Kind: ScalarKind.String } text:
            {
                var match = ProtoDuration().Match(text.Text);
                if (match.Success)
                {
                    var seconds = decimal.Parse(match.Groups["seconds"].Value, CultureInfo.InvariantCulture);
                    if (seconds > MaxDurationSeconds)
                    {
                        ctx.ParseError(f.Line, f.Path, $"duration '{text.Text}' is out of range");
                        return null;
                    }

                    var fraction = match.Groups["fraction"].Success ? decimal.Parse("0." + match.Groups["fraction"].Value, CultureInfo.InvariantCulture) : 0;
                    var total = seconds + fraction;
                    if (total > (decimal)TimeSpan.MaxValue.TotalSeconds)
                    {
                        return TimeSpan.MaxValue;
                    }

                    var ticks = (long)(total * TimeSpan.TicksPerSecond);
                    return TimeSpan.FromTicks(match.Groups["sign"].Success ? -ticks : ticks);
                }

                if (TryGoDurationSeconds(text.Text, out var converted))
                {
                    ctx.ParseError(
                        f.Line,
                        f.Path,
                        $"invalid duration '{text.Text}': a duration must end with a single 's' (seconds, fractions allowed)",
                        $"write \"{ProtoDurationText.Format(converted)}\"");
                    return null;
                }

                ctx.ParseError(f.Line, f.Path, $"invalid duration '{text.Text}': write seconds ending in a single 's', like \"5s\" or \"0.25s\"");
                return null;
            }

            default:
                ctx.ParseError(f.Line, f.Path, $"a google.protobuf.Duration is a string like \"5s\", found {f.Node!.Describe()}");
                return null;
        }
    }

    // Go/systemd-style durations operators often write ("500ms", "1m", "1m30s", "2h", "5S"), converted to seconds.
    private static bool TryGoDurationSeconds(string text, out decimal seconds)
    {
        seconds = 0;
        var match = GoDuration().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        foreach (Capture capture in match.Groups["part"].Captures)
        {
            var part = UnitPart().Match(capture.Value);
            var number = decimal.Parse(part.Groups["n"].Value, CultureInfo.InvariantCulture);
            seconds += part.Groups["u"].Value.ToLowerInvariant() switch
            {
                "h" => number * 3600,
                "m" => number * 60,
                "s" or "sec" or "secs" or "seconds" => number,
                "ms" => number / 1000,
                "us" or "µs" => number / 1_000_000,
                "ns" => number / 1_000_000_000,
                _ => 0,
            };
        }

        return true;
    }

    private static bool TryParseDouble(string text, out double value)
    {
        if (text is "NaN" or "Infinity" or "-Infinity")
        {
            value = double.Parse(text, CultureInfo.InvariantCulture);
            return true;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && text.Trim() == text;
    }

    [GeneratedRegex(@"^(?<sign>-)?(?<seconds>\d+)(\.(?<fraction>\d{1,9}))?s$", RegexOptions.CultureInvariant)]
    private static partial Regex ProtoDuration();

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?\s*(h|m|s|ms|us|µs|ns|sec|secs|seconds|S|MS|H|M))+$", RegexOptions.CultureInvariant)]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<u>\D+)$", RegexOptions.CultureInvariant)]
    private static partial Regex UnitPart();

    [GeneratedRegex(@"^\d+(\.\d+)?\s*[a-zA-Zµ]+$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationLike();
}
