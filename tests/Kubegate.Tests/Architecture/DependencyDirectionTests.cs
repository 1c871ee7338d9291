using System.Text.RegularExpressions;
using Kubegate.Testing;

namespace Kubegate.Tests.Architecture;

/// <summary>
/// Keeps the direction of every dependency between kubegate's parts as docs/architecture.md states it: scans every
/// source file under src/Kubegate for <c>using Kubegate.X;</c> lines and fully qualified <c>Kubegate.X.Y</c>
/// references, maps each namespace to its part, and fails on an edge the graph below does not allow.
/// </summary>
public partial class DependencyDirectionTests
{
    /// <summary>
    /// The parts and what each may import (docs/architecture.md, "Dependencies"). A namespace belongs to the part
    /// with the longest matching name, so <c>Kubegate.Health.Active</c> is Health and <c>Kubegate.AccessLog.Formatting</c>
    /// (the format language, a leaf) is its own part.
    /// </summary>
    internal static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Infrastructure"] = [],
        ["Stats"] = ["Infrastructure"],
        ["LogFiles"] = ["Stats", "Infrastructure"],
        ["AccessLog.Formatting"] = ["Infrastructure"],
        ["Configuration"] = ["AccessLog.Formatting", "Stats", "Infrastructure"],
        ["AccessLog"] = ["AccessLog.Formatting", "LogFiles", "Configuration", "Stats", "Infrastructure"],
        ["Clusters"] = ["Configuration", "Stats", "Infrastructure"],
        ["LoadBalancing"] = ["Clusters", "Configuration", "Infrastructure"],
        ["Health"] = ["Clusters", "LogFiles", "Configuration", "Stats", "Infrastructure"],
        ["Proxy"] = ["Health", "Clusters", "LoadBalancing", "AccessLog", "AccessLog.Formatting", "Configuration", "Stats", "Infrastructure"],
        ["Listeners"] = ["Proxy", "Clusters", "AccessLog", "Configuration", "Stats", "Infrastructure"],
        ["Discovery"] = ["Configuration", "Stats", "Infrastructure"],
        ["Admin"] = ["Listeners", "Discovery", "Health", "Clusters", "LoadBalancing", "AccessLog", "LogFiles", "Configuration", "Stats", "Infrastructure"],
        ["Hosting"] = ["Admin", "Listeners", "Discovery", "Proxy", "Health", "Clusters", "LoadBalancing", "AccessLog", "AccessLog.Formatting", "LogFiles", "Configuration", "Stats", "Infrastructure"],
    };

    private static readonly string SourceRoot = Path.Combine(TestPaths.RepositoryRoot, "src", "Kubegate");

    [Fact]
    public void Sources_ImportOnlyAlongTheAllowedDirections()
    {
        var violations = new List<string>();
        foreach (var (file, from, to, line) in References())
        {
            if (from != to && !Allowed[from].Contains(to))
            {
                violations.Add($"{Path.GetRelativePath(SourceRoot, file)}:{line}: {from} -> {to}");
            }
        }

        Assert.True(violations.Count == 0, "imports against the direction in docs/architecture.md:\n" + string.Join('\n', violations));
    }

    [Fact]
    public void Sources_EveryNamespaceBelongsToAPart()
    {
        var unknown = SourceFiles()
            .Select(f => (File: f, Namespace: NamespaceOf(File.ReadAllText(f))))
            .Where(f => f.Namespace is null || PartOf(f.Namespace) is null)
            .Select(f => $"{Path.GetRelativePath(SourceRoot, f.File)}: {f.Namespace ?? "(no namespace)"}")
            .ToList();

        Assert.True(unknown.Count == 0, "files outside every part of the dependency graph:\n" + string.Join('\n', unknown));
    }

    [Fact]
    public void AllowedGraph_HasNoCycle()
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new Stack<string>();
        foreach (var part in Allowed.Keys)
        {
            Visit(part);
        }

        void Visit(string part)
        {
            if (state.TryGetValue(part, out var s))
            {
                Assert.True(s == 2, "cycle: " + string.Join(" -> ", path.Reverse().Append(part)));
                return;
            }

            state[part] = 1;
            path.Push(part);
            foreach (var next in Allowed[part])
            {
                Assert.True(Allowed.ContainsKey(next), $"{part} -> {next}: no such part");
                Visit(next);
            }

            path.Pop();
            state[part] = 2;
        }
    }

    [Fact]
    public void ArchitectureDoc_StatesTheSameGraph()
    {
        var doc = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "docs", "architecture.md"));
        var section = doc[doc.IndexOf("## Dependencies", StringComparison.Ordinal)..];
        var block = section[(section.IndexOf("```", StringComparison.Ordinal) + 3)..];
        block = block[..block.IndexOf("```", StringComparison.Ordinal)];
        var stated = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var line in block.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var arrow = line.IndexOf('→', StringComparison.Ordinal);
            var targets = line[(arrow + 1)..].Trim();
            stated[line[..arrow].Trim()] = targets == "(nothing)" ? [] : [.. targets.Split(',', StringSplitOptions.TrimEntries)];
        }

        Assert.Equal(Allowed.Keys.Order(StringComparer.Ordinal), stated.Keys.Order(StringComparer.Ordinal));
        foreach (var (part, targets) in Allowed)
        {
            Assert.True(targets.Order(StringComparer.Ordinal).SequenceEqual(stated[part].Order(StringComparer.Ordinal)), $"{part}: docs/architecture.md says {string.Join(", ", stated[part])}");
        }
    }

    [Theory]
    [InlineData("Kubegate.Health.Active", "Health")]
    [InlineData("Kubegate.AccessLog.Tls", "AccessLog")]
    [InlineData("Kubegate.AccessLog.Formatting", "AccessLog.Formatting")]
    [InlineData("Kubegate.Proxy.ConnectionManager", "Proxy")]
    [InlineData("Kubegate.ProxyX", null)]
    public void PartOf_LongestMatchingName(string name, string? expected) => Assert.Equal(expected, PartOf(name));

    [Fact]
    public void References_FindUsingsAndQualifiedNames()
    {
        const string Source = """
            using Kubegate.Clusters;
            using static Kubegate.Stats.StatsStore;
            using Alias = Kubegate.Proxy.ConnectionManager;

            namespace Kubegate.Health;

            // Kubegate.Admin in a comment does not count.
            internal sealed class C(Kubegate.Listeners.ListenerManager m);
            """;

        var found = ReferencedNamespaces(Source).Select(r => r.Name).ToArray();

        Assert.Equal(["Kubegate.Clusters", "Kubegate.Stats.StatsStore", "Kubegate.Proxy.ConnectionManager", "Kubegate.Listeners.ListenerManager"], found);
    }

    internal static string? PartOf(string name)
    {
        string? best = null;
        foreach (var part in Allowed.Keys)
        {
            var full = "Kubegate." + part;
            if ((name == full || name.StartsWith(full + ".", StringComparison.Ordinal)) && (best is null || part.Length > best.Length))
            {
                best = part;
            }
        }

        return best;
    }

    private static IEnumerable<(string File, string From, string To, int Line)> References()
    {
        foreach (var file in SourceFiles())
        {
            var text = File.ReadAllText(file);
            var from = PartOf(NamespaceOf(text) ?? string.Empty);
            if (from is null)
            {
                continue;
            }

            foreach (var (name, line) in ReferencedNamespaces(text))
            {
                if (PartOf(name) is { } to)
                {
                    yield return (file, from, to, line);
                }
            }
        }
    }

    private static IEnumerable<(string Name, int Line)> ReferencedNamespaces(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var comment = line.IndexOf("//", StringComparison.Ordinal);
            var code = comment >= 0 ? line[..comment] : line;
            if (code.TrimStart().StartsWith("namespace ", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (Match match in QualifiedName().Matches(code))
            {
                yield return (match.Value, i + 1);
            }
        }
    }

    private static string? NamespaceOf(string text) => FileNamespace().Match(text) is { Success: true } m ? m.Groups[1].Value : null;

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(SourceRoot, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    [GeneratedRegex(@"(?<![\w.])Kubegate(?:\.[A-Z]\w*)+")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();
}
