using System.Collections.Immutable;
using System.Text;
using Kubegate.Configuration;
using Kubegate.Configuration.Binding;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Fuzzing;

/// <summary>
/// The config loader on one kind of file (bootstrap in YAML or JSON, LDS, CDS, EDS). The property, for every input:
/// no exception escapes the loader (its only failure channel is the problem list); loading is deterministic; the
/// result agrees with its problems (refused exactly when there is an error); and every problem names the file, a line
/// inside it and a field path that exists in the parsed document (a required field left out: its parent exists). A
/// syntax error carries the document-level (empty) path, since no field was read.
/// </summary>
internal sealed class ConfigFileTarget : FuzzTarget
{
    /// <summary>The <c>cluster_name</c> an EDS input is expected to carry (the example configuration's first cluster).</summary>
    public const string ExpectedEdsClusterName = "k8s_cluster1";

    private readonly ConfigFileKind _kind;
    private readonly string _fileName;

    public ConfigFileTarget(string name, ConfigFileKind kind, string fileName, string description)
        : base(name, description)
    {
        _kind = kind;
        _fileName = fileName;
    }

    public override void Check(ReadOnlySpan<byte> input, FuzzWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var fullPath = workspace.Write(_fileName, input);
        var loader = new ConfigLoader(new ConfigLoaderOptions { WorkingDirectory = workspace.Directory });

        var outcome = Load(loader);
        var again = Load(loader);
        FuzzPropertyException.Require(
            outcome.Problems.SequenceEqual(again.Problems) && outcome.Accepted == again.Accepted,
            "loading the same file twice gave different results:\n" + Describe(outcome.Problems) + "\n---\n" + Describe(again.Problems));

        var document = ConfigFileReader.Parse(input.ToArray(), ConfigFileReader.FormatOf(_fileName), fullPath);
        CheckProblems(input, document, outcome);
    }

    private Outcome Load(ConfigLoader loader)
    {
        switch (_kind)
        {
            case ConfigFileKind.Bootstrap:
            {
                var bootstrap = loader.ParseBootstrap(_fileName);
                var composed = ConfigLoader.Compose(bootstrap, null, null, ImmutableDictionary<string, DynamicFileResult<ClusterLoadAssignmentConfig>>.Empty);
                FuzzPropertyException.Require(composed.Succeeded == !composed.Errors.Any(), "a snapshot was built despite errors, or withheld without one");
                FuzzPropertyException.Require(bootstrap.Succeeded || !composed.Succeeded, "a refused bootstrap still produced a snapshot");
                FuzzPropertyException.Require(bootstrap.Problems.All(composed.Problems.Contains), "composing dropped a problem of the bootstrap");
                return new Outcome(composed.Problems, composed.Succeeded, [.. bootstrap.StaticListenerPaths, .. bootstrap.StaticClusterPaths]);
            }

            case ConfigFileKind.Listeners:
                return FromDynamic(loader.ParseListenerFile(_fileName));
            case ConfigFileKind.Clusters:
                return FromDynamic(loader.ParseClusterFile(_fileName));
            default:
            {
                var endpoints = loader.ParseEndpointFile(_fileName, ExpectedEdsClusterName);
                FuzzPropertyException.Require(endpoints.Resources.Length <= 1, $"an EDS file yielded {endpoints.Resources.Length} assignments");
                FuzzPropertyException.Require(
                    !endpoints.Succeeded || endpoints.Resources.All(r => r.ClusterName == ExpectedEdsClusterName),
                    "an accepted EDS file carries another cluster_name");
                return FromDynamic(endpoints);
            }
        }
    }

    private static Outcome FromDynamic<T>(DynamicFileResult<T> result)
    {
        FuzzPropertyException.Require(result.Succeeded == !result.Problems.Any(p => p.Severity == ConfigErrorSeverity.Error), "Succeeded disagrees with the problems");
        FuzzPropertyException.Require(!result.ParseFailed || !result.Succeeded, "a file that failed to parse was accepted");
        FuzzPropertyException.Require(result.Resources.Length == result.ResourcePaths.Length, "a resource without a path, or a path without a resource");
        return new Outcome(result.Problems, result.Succeeded, result.ResourcePaths);
    }

    private void CheckProblems(ReadOnlySpan<byte> input, DocumentParseResult document, Outcome outcome)
    {
        var lastLine = CountLineBreaks(input) + 1;
        var errors = 0;
        foreach (var problem in outcome.Problems)
        {
            var isError = problem.Severity == ConfigErrorSeverity.Error;
            errors += isError ? 1 : 0;
            FuzzPropertyException.Require(problem.File == _fileName, $"problem names file '{problem.File}', not '{_fileName}': {problem}");
            FuzzPropertyException.Require(!string.IsNullOrWhiteSpace(problem.Message), $"problem without a message: {problem}");

            // Line 0 means "the whole file" and is reserved for files that cannot be read; this one was read. The
            // last line may be one past the last line break (an error at the end of the input).
            FuzzPropertyException.Require(
                isError ? problem.Line >= 1 && problem.Line <= lastLine : problem.Line >= 0 && problem.Line <= lastLine,
                $"line {problem.Line} is outside the file (lines 1..{lastLine}): {problem}");
            var where = problem.Line > 0 ? $"{_fileName}:{problem.Line}: " : $"{_fileName}: ";
            FuzzPropertyException.Require(problem.ToString().StartsWith(where, StringComparison.Ordinal), $"'{problem}' does not start with '{where}'");

            if (!document.Succeeded)
            {
                FuzzPropertyException.Require(problem.Path.Length == 0, $"a file that does not parse has no fields, yet a problem names one: {problem}");
            }
            else
            {
                FuzzPropertyException.Require(
                    ConfigPathResolver.Resolve(document.Root, problem.Path) != ConfigPathResolution.Unresolved,
                    $"path '{problem.Path}' is not in the document: {problem}");
            }
        }

        FuzzPropertyException.Require(outcome.Accepted == (errors == 0), $"accepted={outcome.Accepted} with {errors} errors");
        FuzzPropertyException.Require(document.Succeeded || errors > 0, "a file that does not parse was accepted");
        foreach (var path in outcome.ResourcePaths)
        {
            FuzzPropertyException.Require(
                document.Succeeded && ConfigPathResolver.Resolve(document.Root, path) == ConfigPathResolution.Found,
                $"resource path '{path}' is not in the document");
        }
    }

    // YAML also breaks lines at \r, NEL, LS and PS, so all of them count: the bound must hold for either format.
    private static int CountLineBreaks(ReadOnlySpan<byte> input)
    {
        var count = 0;
        foreach (var c in Encoding.UTF8.GetString(input))
        {
            if (c is '\n' or '\r' or '\u0085' or '\u2028' or '\u2029')
            {
                count++;
            }
        }

        return count;
    }

    private static string Describe(IEnumerable<ConfigError> problems) => string.Join('\n', problems);

    private sealed record Outcome(ImmutableArray<ConfigError> Problems, bool Accepted, ImmutableArray<string> ResourcePaths);
}
