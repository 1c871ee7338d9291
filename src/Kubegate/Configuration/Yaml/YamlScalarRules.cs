using System.Globalization;

namespace Kubegate.Configuration.Yaml;

/// <summary>
/// Classifies a plain YAML scalar the way Envoy does when it turns YAML into JSON before the protobuf JSON parser
/// sees it (<c>source/common/protobuf/yaml_utility.cc</c>, <c>parseYamlNode</c>, which uses yaml-cpp's converters).
/// </summary>
internal static class YamlScalarRules
{
    private static readonly string[] TrueWords = ["y", "yes", "true", "on"];
    private static readonly string[] FalseWords = ["n", "no", "false", "off"];
    private static readonly string[] NullWords = ["~", "null"];

    public static ScalarKind ClassifyPlain(string text)
    {
        if (text.Length == 0 || IsFlexibleWord(text, NullWords))
        {
            return ScalarKind.Null;
        }

        if (IsFlexibleWord(text, TrueWords) || IsFlexibleWord(text, FalseWords))
        {
            return ScalarKind.Boolean;
        }

        // yaml-cpp decodes int64; Envoy keeps int32-sized values as JSON numbers and turns larger ones into strings
        // (proto3 JSON accepts strings for 64-bit integers). Floats fall back to strings as well.
        if (IsInteger(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            && value is >= int.MinValue and <= int.MaxValue)
        {
            return ScalarKind.Number;
        }

        return ScalarKind.String;
    }

    /// <summary>True for yaml-cpp's true words: y, yes, true, on (all lower, all upper or capitalised).</summary>
    public static bool IsTrueWord(string text) => IsFlexibleWord(text, TrueWords);

    private static bool IsInteger(string text)
    {
        var start = text[0] is '-' or '+' ? 1 : 0;
        if (start == text.Length)
        {
            return false;
        }

        for (var i = start; i < text.Length; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    // yaml-cpp's IsFlexibleCase: "true", "TRUE" or "True", never "tRUE".
    private static bool IsFlexibleWord(string text, string[] words)
    {
        foreach (var word in words)
        {
            if (text.Length != word.Length)
            {
                continue;
            }

            if (text == word || text == word.ToUpperInvariant()
                || (char.ToUpperInvariant(word[0]) == text[0] && string.Equals(text[1..], word[1..], StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
