using System.Text.RegularExpressions;

namespace Kubegate.Tests.Documentation;

/// <summary>
/// The configuration field reference of one README, parsed: every heading that names an Envoy message in backticks
/// starts that message's section; table rows whose first cell is a field name in backticks list the fields kubegate
/// implements; lines starting with one of <see cref="Labels"/> list the Envoy fields kubegate knows but does not
/// implement, by treatment.
/// </summary>
internal sealed partial class FieldReference
{
    private FieldReference(
        Dictionary<string, HashSet<string>> fields,
        Dictionary<(string Type, string Treatment), HashSet<string>> rules,
        List<string> duplicates)
    {
        Fields = fields;
        Rules = rules;
        Duplicates = duplicates;
    }

    /// <summary>Message type → fields in its table.</summary>
    public Dictionary<string, HashSet<string>> Fields { get; }

    /// <summary>(message type, treatment name) → fields listed after that treatment's label.</summary>
    public Dictionary<(string Type, string Treatment), HashSet<string>> Rules { get; }

    /// <summary>"type.field" written twice, or a message with two sections.</summary>
    public List<string> Duplicates { get; }

    /// <summary>
    /// The labels that introduce the list of known-but-unimplemented fields, per treatment (names of
    /// <c>FieldTreatment</c>), in both languages.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> Labels = new Dictionary<string, string[]>
    {
        ["Silent"] = ["Accepted, no effect:", "接受，无作用："],
        ["Ignored"] = ["Ignored with a warning:", "忽略并警告："],
        ["Unsupported"] = ["Refused:", "拒绝："],
    };

    public static FieldReference Parse(string markdown)
    {
        var fields = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var rules = new Dictionary<(string, string), HashSet<string>>();
        var duplicates = new List<string>();
        string? current = null;
        foreach (var raw in markdown.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#'))
            {
                var heading = MessageHeading().Match(line);
                current = heading.Success ? heading.Groups[1].Value : null;
                if (current is not null && !fields.TryAdd(current, new HashSet<string>(StringComparer.Ordinal)))
                {
                    duplicates.Add(current + " (two sections)");
                }

                continue;
            }

            if (current is null)
            {
                continue;
            }

            var row = FieldRow().Match(line);
            if (row.Success)
            {
                if (!fields[current].Add(row.Groups[1].Value))
                {
                    duplicates.Add(current + "." + row.Groups[1].Value);
                }

                continue;
            }

            foreach (var (treatment, labels) in Labels)
            {
                var label = labels.FirstOrDefault(l => line.StartsWith(l, StringComparison.Ordinal));
                if (label is null)
                {
                    continue;
                }

                var set = new HashSet<string>(StringComparer.Ordinal);
                foreach (Match name in BacktickedName().Matches(line[label.Length..]))
                {
                    if (!set.Add(name.Groups[1].Value))
                    {
                        duplicates.Add(current + "." + name.Groups[1].Value);
                    }
                }

                if (!rules.TryAdd((current, treatment), set))
                {
                    duplicates.Add($"{current}: two '{label}' lines");
                }
            }
        }

        return new FieldReference(fields, rules, duplicates);
    }

    // A heading naming a message: "#### Cluster (`envoy.config.cluster.v3.Cluster`)".
    [GeneratedRegex(@"^#{2,6} .*`((?:envoy|google|kubegate)\.[A-Za-z0-9_.]+)`")]
    private static partial Regex MessageHeading();

    // A table row whose first cell is a field: "| `connect_timeout` | Duration | ...".
    [GeneratedRegex(@"^\|\s*`([a-z0-9_]+)`\s*\|")]
    private static partial Regex FieldRow();

    [GeneratedRegex(@"`([a-z0-9_]+)`")]
    private static partial Regex BacktickedName();
}
