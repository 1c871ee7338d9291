using System.Collections.Immutable;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Kubegate.Configuration.Yaml;

/// <summary>
/// Builds a <see cref="ConfigNode"/> tree from YAML text with YamlDotNet's event parser (no reflection, so NativeAOT
/// safe). Anchors and aliases are resolved by sharing nodes; merge keys (<c>&lt;&lt;</c>) are expanded.
/// </summary>
internal static partial class YamlDocumentReader
{
    private const int MaxDepth = 200;

    public static DocumentParseResult Parse(string text)
    {
        // The line of the last event read: YamlDotNet's scanner throws InvalidOperationException without a position
        // on some malformed input, and this is the best place to point at then.
        var lastLine = 1;
        try
        {
            // MergingParser reads the whole stream up front, so syntax errors are located by a plain pass first. The
            // same pass refuses an alias to an anchor not defined before it: MergingParser would throw
            // KeyNotFoundException for one behind a merge key (<<: *missing); found by fuzzing.
            var scan = new Parser(new StringReader(text));
            var defined = new HashSet<string>(StringComparer.Ordinal);
            while (scan.MoveNext())
            {
                var current = scan.Current!;
                lastLine = (int)current.Start.Line;
                if (current is AnchorAlias alias && !defined.Contains(alias.Value.Value))
                {
                    return new DocumentParseResult(null, $"invalid YAML: unknown anchor '*{alias.Value.Value}'", InFile(lastLine, text), "define the anchor (&name) before its first use (*name)");
                }

                if (current is NodeEvent { Anchor.IsEmpty: false } node)
                {
                    defined.Add(node.Anchor.Value);
                }
            }

            var parser = new MergingParser(new Parser(new StringReader(text)));
            parser.Consume<StreamStart>();
            ConfigNode? root = null;
            var documents = 0;
            var anchors = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
            while (!parser.Accept<StreamEnd>(out _))
            {
                var start = parser.Consume<DocumentStart>();
                var node = ReadNode(parser, anchors, 0, ref lastLine);
                parser.Consume<DocumentEnd>();
                documents++;
                if (documents == 1)
                {
                    root = node;
                }
                else
                {
                    return new DocumentParseResult(
                        null,
                        "the file holds more than one YAML document",
                        (int)start.Start.Line,
                        "Envoy reads one document per file; remove the '---' separator and merge the documents");
                }
            }

            return new DocumentParseResult(root is ConfigScalar { IsNull: true } ? null : root);
        }
        catch (YamlException ex)
        {
            return new DocumentParseResult(null, "invalid YAML: " + StripMarks(ex.Message), InFile((int)ex.Start.Line, text));
        }
        catch (InvalidDataException ex)
        {
            return new DocumentParseResult(null, "invalid YAML: " + ex.Message, InFile(lastLine, text));
        }
        catch (ArgumentException ex)
        {
            // YamlDotNet's TagName refuses a tag that is not a URI with ArgumentException, outside its own exception
            // type; found by fuzzing.
            var message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal);
            return new DocumentParseResult(null, "invalid YAML: " + message, InFile(lastLine, text));
        }
        catch (InvalidOperationException)
        {
            lastLine = InFile(lastLine, text);
            return new DocumentParseResult(null, $"invalid YAML after line {lastLine}: the structure is malformed (check brackets, quotes and indentation)", lastLine);
        }
    }

    /// <summary>
    /// Keeps an error's line inside the text: at the end of input YamlDotNet's scanner stands on the line after the
    /// last one (an unclosed <c>[</c> in a one-line file was "line 2"), and a mark may be 0. Found by fuzzing.
    /// </summary>
    private static int InFile(int line, string text)
    {
        // Line breaks as YAML 1.1 counts them: \r\n once, \r, \n, NEL, LS and PS.
        var last = 1;
        for (var i = 0; i < text.Length && last < line; i++)
        {
            var c = text[i];
            if (c is '\n' or '\u0085' or '\u2028' or '\u2029' || (c == '\r' && (i + 1 == text.Length || text[i + 1] != '\n')))
            {
                last++;
            }
        }

        return Math.Clamp(line, 1, last);
    }

    private static ConfigNode ReadNode(IParser parser, Dictionary<string, ConfigNode> anchors, int depth, ref int lastLine)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidDataException($"nesting deeper than {MaxDepth} levels");
        }

        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            lastLine = (int)alias.Start.Line;
            return anchors.TryGetValue(alias.Value.Value, out var target)
                ? target
                : throw new YamlException(alias.Start, alias.End, $"unknown anchor '*{alias.Value.Value}'");
        }

        if (parser.TryConsume<Scalar>(out var scalar))
        {
            lastLine = (int)scalar.Start.Line;
            return Remember(anchors, scalar, ToScalar(scalar));
        }

        if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            lastLine = (int)sequenceStart.Start.Line;
            var items = ImmutableArray.CreateBuilder<ConfigNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, anchors, depth + 1, ref lastLine));
            }

            return Remember(anchors, sequenceStart, new ConfigSequence((int)sequenceStart.Start.Line, items.ToImmutable()));
        }

        if (parser.TryConsume<MappingStart>(out var mappingStart))
        {
            lastLine = (int)mappingStart.Start.Line;
            var entries = ImmutableArray.CreateBuilder<ConfigMappingEntry>();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyEvent = parser.Current;
                var key = ReadNode(parser, anchors, depth + 1, ref lastLine);
                var value = ReadNode(parser, anchors, depth + 1, ref lastLine);
                if (key is not ConfigScalar keyScalar)
                {
                    throw new YamlException(keyEvent!.Start, keyEvent.End, "mapping keys must be plain strings");
                }

                entries.Add(new ConfigMappingEntry(keyScalar.Text, key.Line, value));
            }

            return Remember(anchors, mappingStart, new ConfigMapping((int)mappingStart.Start.Line, entries.ToImmutable()));
        }

        var unexpected = parser.Current;
        throw new YamlException(unexpected?.Start ?? Mark.Empty, unexpected?.End ?? Mark.Empty, $"unexpected {unexpected?.GetType().Name}");
    }

    private static ConfigScalar ToScalar(Scalar scalar)
    {
        var line = (int)scalar.Start.Line;
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is "tag:yaml.org,2002:str" or "!")
        {
            return new ConfigScalar(line, scalar.Value, ScalarKind.String, isQuoted: true);
        }

        if (scalar.Style != ScalarStyle.Plain)
        {
            return new ConfigScalar(line, scalar.Value, ScalarKind.String, isQuoted: true);
        }

        return new ConfigScalar(line, scalar.Value, YamlScalarRules.ClassifyPlain(scalar.Value), isQuoted: false);
    }

    private static ConfigNode Remember(Dictionary<string, ConfigNode> anchors, NodeEvent nodeEvent, ConfigNode node)
    {
        if (!nodeEvent.Anchor.IsEmpty)
        {
            anchors[nodeEvent.Anchor.Value] = node;
        }

        return node;
    }

    // YamlException messages start with "(Line: 3, Col: 1, Idx: 20) - (Line: …): "; the line is reported separately.
    private static string StripMarks(string message) => MarksPrefix().Replace(message, string.Empty);

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarksPrefix();
}
