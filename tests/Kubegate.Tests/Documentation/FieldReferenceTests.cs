using System.Text.RegularExpressions;
using Kubegate.Configuration;
using Kubegate.Configuration.Binding;
using Kubegate.Testing;

namespace Kubegate.Tests.Documentation;

/// <summary>
/// Keeps the configuration field reference in README.md and README.zh-CN.md equal to what the binders read: the
/// kitchen-sink configuration (KitchenSink/) is loaded with <see cref="MessageReader.FieldQueried"/> recording every
/// (message, field) a binder looks up, and each README must document exactly those fields, plus exactly the fields
/// <see cref="FieldRules"/> accepts, ignores or refuses.
/// </summary>
public sealed partial class FieldReferenceTests
{
    private const string KitchenSinkBootstrap = "tests/Kubegate.Tests/Documentation/KitchenSink/envoy.yaml";

    /// <summary>
    /// Message types in <see cref="ProtoTypes"/> that have no field of their own for a binder to look up, so the
    /// recorder cannot see them reached.
    /// </summary>
    private static readonly HashSet<string> TypesWithoutFields = new(StringComparer.Ordinal)
    {
        ProtoTypes.TlsInspector,                 // accepted and ignored as a whole; its options are not read
        ProtoTypes.RawBuffer,                    // has no fields
        ProtoTypes.ClusterLoadAssignmentPolicy,  // opened only to report its unimplemented fields
        ProtoTypes.SniCluster,                   // has no fields
    };

    private static readonly string RepositoryRoot = TestPaths.RepositoryRoot;

    private static readonly Lazy<HashSet<(string Type, string Field)>> Queried = new(LoadKitchenSink);

    public static TheoryData<string> Readmes => new() { "README.md", "README.zh-CN.md" };

    [Fact]
    public void KitchenSink_LoadsWithoutErrorsOrUnknownFields()
    {
        var result = LoadKitchenSinkResult(recorder: null);

        Assert.True(result.Succeeded, "kitchen-sink configuration failed:\n" + string.Join('\n', result.Errors));
        Assert.Empty(result.Problems.Where(p => p.IsUnknownField).Select(p => p.ToString()));
        Assert.Equal(["static_listener", "weighted"], result.Snapshot!.Listeners.Select(l => l.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["https_checked", "static_cluster", "tcp_checked"], result.Snapshot.Clusters.Select(c => c.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void KitchenSink_ReachesEveryMessageTypeKubegateBinds()
    {
        var reached = Queried.Value.Select(q => q.Type).ToHashSet(StringComparer.Ordinal);

        var missed = BoundMessageTypes().Where(t => !TypesWithoutFields.Contains(t) && !reached.Contains(t)).ToList();

        Assert.True(missed.Count == 0, "extend the kitchen-sink configuration so that it reaches: " + string.Join(", ", missed));
        Assert.DoesNotContain(TypesWithoutFields, reached.Contains);
    }

    [Fact]
    public void Recorder_IsOffByDefault()
    {
        Assert.Null(MessageReader.FieldQueried);
    }

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Reference_DocumentsEveryFieldABinderReads(string readme)
    {
        var reference = Read(readme);

        var undocumented = Queried.Value
            .Where(q => !reference.Fields.TryGetValue(q.Type, out var fields) || !fields.Contains(q.Field))
            .Select(q => $"{q.Type}: `{q.Field}`")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(undocumented.Count == 0, $"{readme} does not document:\n" + string.Join('\n', undocumented));
    }

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Reference_DocumentsOnlyFieldsABinderReads(string readme)
    {
        var reference = Read(readme);

        var invented = reference.Fields
            .SelectMany(p => p.Value.Select(f => (Type: p.Key, Field: f)))
            .Where(f => !Queried.Value.Contains(f))
            .Select(f => $"{f.Type}: `{f.Field}`")
            .ToList();

        Assert.True(invented.Count == 0, $"{readme} documents fields no binder reads:\n" + string.Join('\n', invented));
        Assert.Empty(reference.Duplicates);
    }

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Reference_ListsTheUnimplementedEnvoyFieldsOfEachMessage(string readme)
    {
        var reference = Read(readme);
        var problems = new List<string>();

        foreach (var type in BoundMessageTypes())
        {
            foreach (var treatment in Enum.GetValues<FieldTreatment>())
            {
                var expected = FieldRules.KnownButUnimplemented(type)
                    .Where(f => FieldRules.Find(type, f)!.Treatment == treatment)
                    .ToHashSet(StringComparer.Ordinal);
                var listed = reference.Rules.GetValueOrDefault((type, treatment.ToString())) ?? [];
                if (!expected.SetEquals(listed))
                {
                    problems.Add($"{type} {treatment}: expected [{string.Join(", ", expected.Order())}], listed [{string.Join(", ", listed.Order())}]");
                }
            }
        }

        Assert.True(problems.Count == 0, $"{readme}:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void Parse_ReadsTablesAndRuleLinesUnderMessageHeadings()
    {
        var reference = FieldReference.Parse("""
            ## Flags
            | `not_a_message_field` | x |
            #### Listener (`envoy.config.listener.v3.Listener`)
            | field | type |
            |---|---|
            | `name` | string |
            | `address` | Address |
            Refused: `use_original_dst`, `api_listener`.
            接受，无作用：`metadata`。
            ### Next
            | `stray` | x |
            """);

        Assert.Equal(["address", "name"], reference.Fields.Single(p => p.Key == ProtoTypes.Listener).Value.Order());
        Assert.Equal(["api_listener", "use_original_dst"], reference.Rules[(ProtoTypes.Listener, "Unsupported")].Order());
        Assert.Equal(["metadata"], reference.Rules[(ProtoTypes.Listener, "Silent")]);
        Assert.Single(reference.Fields);
    }

    /// <summary>Every message name in <see cref="ProtoTypes"/>, read from its source (the list the binders use).</summary>
    private static List<string> BoundMessageTypes()
    {
        var source = File.ReadAllText(Path.Combine(RepositoryRoot, "src/Kubegate/Configuration/Binding/ProtoTypes.cs"));
        var types = ProtoTypeConstant().Matches(source).Select(m => m.Groups[1].Value).ToList();
        Assert.True(types.Count > 50, "ProtoTypes.cs no longer matches the pattern this test reads");
        Assert.Contains(ProtoTypes.Cluster, types);
        return types;
    }

    private static FieldReference Read(string readme) =>
        FieldReference.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, readme)));

    private static HashSet<(string Type, string Field)> LoadKitchenSink()
    {
        var queried = new HashSet<(string, string)>();
        var result = LoadKitchenSinkResult((type, field) => queried.Add((type, field)));
        Assert.True(result.Succeeded, "kitchen-sink configuration failed:\n" + string.Join('\n', result.Errors));
        return queried;
    }

    private static ConfigLoadResult LoadKitchenSinkResult(Action<string, string>? recorder)
    {
        var loader = new ConfigLoader(new ConfigLoaderOptions { WorkingDirectory = RepositoryRoot });
        MessageReader.FieldQueried = recorder;
        try
        {
            return loader.Load(KitchenSinkBootstrap);
        }
        finally
        {
            MessageReader.FieldQueried = null;
        }
    }

    [GeneratedRegex(@"public const string \w+ = ""((?:envoy|google|kubegate)\.[A-Za-z0-9_.]+)"";")]
    private static partial Regex ProtoTypeConstant();
}
