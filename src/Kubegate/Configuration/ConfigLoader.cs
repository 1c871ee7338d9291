using System.Collections.Immutable;
using Kubegate.Configuration.Binding;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Configuration;

/// <summary>
/// Reads a bootstrap and every LDS/CDS/EDS file it references into one validated <see cref="ConfigSnapshot"/>,
/// collecting every problem of every file. Pure apart from reading files: <c>--mode validate</c>, start-up and
/// reloads all call it.
/// </summary>
/// <remarks>
/// Each file type has its own parse (<see cref="ParseBootstrap"/>, <see cref="ParseListenerFile(ConfigSourceConfig)"/>,
/// <see cref="ParseClusterFile(ConfigSourceConfig)"/>, <see cref="ParseEndpointFile(ConfigSourceConfig, string)"/>) so a
/// reload can re-read just the file that changed and rebuild the snapshot with <see cref="Compose"/>.
/// Files are parsed like Envoy parses them (YAML → JSON → proto3-JSON rules), by hand-written binders in
/// <c>Validation/</c> over the node tree of <c>Yaml/</c>: no reflection, so NativeAOT-safe.
/// </remarks>
internal sealed class ConfigLoader
{
    private readonly ConfigLoaderOptions _options;

    public ConfigLoader(ConfigLoaderOptions options) => _options = options;

    public ConfigLoadResult Load(string bootstrapPath)
    {
        var (bootstrap, staticDeclarations) = ParseBootstrapCore(bootstrapPath);
        var bootstrapDirectory = Path.GetDirectoryName(bootstrap.FullPath);
        var config = bootstrap.Bootstrap;

        var listeners = config.LdsConfig is { } lds ? ParseListenerFile(lds, bootstrapDirectory) : null;
        DynamicFileResult<ClusterConfig>? clusters = null;
        IReadOnlyList<ClusterDeclaration> dynamicDeclarations = [];
        if (config.CdsConfig is { } cds)
        {
            (clusters, dynamicDeclarations) = ParseClusterFileCore(cds, bootstrapDirectory);
        }

        // Every EDS file named by a cluster is read, also for clusters with errors of their own, so one run reports
        // the problems of every file.
        var endpoints = new Dictionary<string, DynamicFileResult<ClusterLoadAssignmentConfig>>(StringComparer.Ordinal);
        var parsed = new Dictionary<(string FullPath, string Expected), DynamicFileResult<ClusterLoadAssignmentConfig>>();
        foreach (var declaration in staticDeclarations.Concat(dynamicDeclarations))
        {
            if (declaration.EdsConfig is not { } source || endpoints.ContainsKey(declaration.Name))
            {
                continue;
            }

            var key = (source.FullPath, declaration.ExpectedEdsClusterName);
            if (!parsed.TryGetValue(key, out var result))
            {
                result = ParseEndpointFile(source, declaration.ExpectedEdsClusterName, bootstrapDirectory);
                parsed.Add(key, result);
            }

            endpoints.Add(declaration.Name, result);
        }

        return Compose(bootstrap, listeners, clusters, endpoints);
    }

    /// <summary>Parses and validates the bootstrap alone; relative paths resolve against the working directory.</summary>
    public BootstrapFileResult ParseBootstrap(string bootstrapPath) => ParseBootstrapCore(bootstrapPath).Result;

    /// <summary>Parses an LDS file (a DiscoveryResponse of Listeners).</summary>
    public DynamicFileResult<ListenerConfig> ParseListenerFile(ConfigSourceConfig source) => ParseListenerFile(source, null);

    /// <summary>Parses an LDS file named by path (resolved against the working directory).</summary>
    public DynamicFileResult<ListenerConfig> ParseListenerFile(string path) => ParseListenerFile(Source(path), null);

    /// <summary>Parses a CDS file (a DiscoveryResponse of Clusters); EDS files of its clusters are only checked to exist.</summary>
    public DynamicFileResult<ClusterConfig> ParseClusterFile(ConfigSourceConfig source) => ParseClusterFileCore(source, null).Result;

    /// <summary>Parses a CDS file named by path (resolved against the working directory).</summary>
    public DynamicFileResult<ClusterConfig> ParseClusterFile(string path) => ParseClusterFileCore(Source(path), null).Result;

    /// <summary>Parses an EDS file: exactly one ClusterLoadAssignment whose cluster_name is <paramref name="expectedClusterName"/>.</summary>
    /// <param name="source">Where the file is (the cluster's <see cref="ClusterConfig.EdsConfig"/>).</param>
    /// <param name="expectedClusterName">The cluster's <see cref="ClusterConfig.ExpectedEdsClusterName"/>.</param>
    public DynamicFileResult<ClusterLoadAssignmentConfig> ParseEndpointFile(ConfigSourceConfig source, string expectedClusterName) =>
        ParseEndpointFile(source, expectedClusterName, null);

    /// <summary>Parses an EDS file named by path (resolved against the working directory).</summary>
    public DynamicFileResult<ClusterLoadAssignmentConfig> ParseEndpointFile(string path, string expectedClusterName) =>
        ParseEndpointFile(Source(path), expectedClusterName, null);

    /// <summary>
    /// Builds the snapshot from parsed files and runs the checks that span files (duplicate names and addresses across
    /// the bootstrap and LDS/CDS, tcp_proxy cluster references, health checks against the endpoints).
    /// </summary>
    /// <param name="bootstrap">The parsed bootstrap.</param>
    /// <param name="listeners">The parsed LDS file, or null when there is none.</param>
    /// <param name="clusters">The parsed CDS file, or null when there is none.</param>
    /// <param name="endpoints">The parsed EDS file of each EDS cluster, by cluster name.</param>
    public static ConfigLoadResult Compose(
        BootstrapFileResult bootstrap,
        DynamicFileResult<ListenerConfig>? listeners,
        DynamicFileResult<ClusterConfig>? clusters,
        IReadOnlyDictionary<string, DynamicFileResult<ClusterLoadAssignmentConfig>> endpoints)
    {
        var problems = new List<ConfigError>(bootstrap.Problems);
        var fileOrder = new List<string> { bootstrap.File };
        var versions = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);

        void AddFile<T>(DynamicFileResult<T>? file)
        {
            if (file is null)
            {
                return;
            }

            problems.AddRange(file.Problems);
            fileOrder.Add(file.File);
            if (file.VersionInfo is not null)
            {
                versions[file.FullPath] = file.VersionInfo;
            }
        }

        AddFile(listeners);
        AddFile(clusters);
        foreach (var file in endpoints.Values.Distinct())
        {
            AddFile(file);
        }

        var placedListeners = Place(bootstrap.Bootstrap.StaticListeners, bootstrap.StaticListenerPaths)
            .Concat(listeners is null ? [] : Place(listeners.Resources, listeners.ResourcePaths));
        var placedClusters = Place(bootstrap.Bootstrap.StaticClusters, bootstrap.StaticClusterPaths)
            .Concat(clusters is null ? [] : Place(clusters.Resources, clusters.ResourcePaths));
        var keptListeners = SnapshotValidator.CheckListeners(placedListeners, problems, acrossFilesOnly: true);
        var keptClusters = SnapshotValidator.CheckClusters(placedClusters, problems, acrossFilesOnly: true);

        var assignments = ImmutableDictionary.CreateBuilder<string, ClusterLoadAssignmentConfig>(StringComparer.Ordinal);
        foreach (var (cluster, _) in keptClusters)
        {
            if (cluster.Type == DiscoveryType.Static && cluster.LoadAssignment is { } inline)
            {
                assignments[cluster.Name] = inline;
            }
            else if (cluster.Type == DiscoveryType.Eds && endpoints.TryGetValue(cluster.Name, out var eds) && eds.Resources.Length == 1)
            {
                assignments[cluster.Name] = eds.Resources[0];
            }
        }

        var assignmentMap = assignments.ToImmutable();
        var rejectedClusters = bootstrap.RejectedClusterNames.Concat(clusters?.RejectedNames ?? []);
        SnapshotValidator.CheckReferences(keptListeners, keptClusters, assignmentMap, rejectedClusters, problems);

        var ordered = Order(problems, fileOrder);
        ConfigSnapshot? snapshot = null;
        if (!ordered.Any(p => p.Severity == ConfigErrorSeverity.Error))
        {
            snapshot = new ConfigSnapshot
            {
                Bootstrap = bootstrap.Bootstrap,
                Listeners = keptListeners.Select(l => l.Resource).ToImmutableArray(),
                Clusters = keptClusters.Select(c => c.Resource).ToImmutableArray(),
                Assignments = assignmentMap,
                VersionInfo = versions.ToImmutable(),
                Warnings = ordered.Where(p => p.Severity == ConfigErrorSeverity.Warning).ToImmutableArray(),
            };
        }

        return new ConfigLoadResult(snapshot, ordered);
    }

    private DynamicFileResult<ListenerConfig> ParseListenerFile(ConfigSourceConfig source, string? bootstrapDirectory)
    {
        var ctx = Context(source, ConfigFileKind.Listeners, bootstrapDirectory);
        return ParseDynamic(ctx, ProtoTypes.Listener, "LDS", (file, listeners) =>
        {
            var problems = new List<ConfigError>();
            var kept = SnapshotValidator.CheckListeners(listeners, problems, acrossFilesOnly: false);
            problems.ForEach(file.Add);
            return kept;
        }, ListenerBinder.Bind);
    }

    private (BootstrapFileResult Result, IReadOnlyList<ClusterDeclaration> Declarations) ParseBootstrapCore(string bootstrapPath)
    {
        var fullPath = Path.GetFullPath(bootstrapPath, Path.GetFullPath(_options.WorkingDirectory));
        var paths = new PathResolver(_options.WorkingDirectory, Path.GetDirectoryName(fullPath));
        var ctx = new BindContext(bootstrapPath, fullPath, ConfigFileKind.Bootstrap, _options, paths);
        if (!File.Exists(fullPath))
        {
            ctx.Error(
                0,
                string.Empty,
                $"unable to read file: '{bootstrapPath}' does not exist",
                Directory.Exists(fullPath) ? "name the bootstrap file, not its directory" : paths.MissingFileFix(bootstrapPath, null));
            return (Unreadable(ctx, bootstrapPath), []);
        }

        var document = Read(ctx);
        return document.Succeeded
            ? (BootstrapBinder.Bind(ctx, document.Root, bootstrapPath), ctx.DeclaredClusters)
            : (Unreadable(ctx, bootstrapPath), []);
    }

    private (DynamicFileResult<ClusterConfig> Result, IReadOnlyList<ClusterDeclaration> Declarations) ParseClusterFileCore(ConfigSourceConfig source, string? bootstrapDirectory)
    {
        var ctx = Context(source, ConfigFileKind.Clusters, bootstrapDirectory);
        var result = ParseDynamic(ctx, ProtoTypes.Cluster, "CDS", (file, clusters) =>
        {
            var problems = new List<ConfigError>();
            var kept = SnapshotValidator.CheckClusters(clusters, problems, acrossFilesOnly: false);
            problems.ForEach(file.Add);
            return kept;
        }, ClusterBinder.Bind);
        return (result, ctx.DeclaredClusters);
    }

    private DynamicFileResult<ClusterLoadAssignmentConfig> ParseEndpointFile(ConfigSourceConfig source, string expectedClusterName, string? bootstrapDirectory)
    {
        var ctx = Context(source, ConfigFileKind.Endpoints, bootstrapDirectory);
        return ParseDynamic(
            ctx,
            ProtoTypes.ClusterLoadAssignment,
            "EDS",
            (file, assignments) =>
            {
                if (assignments.Count == 0 && file.ErrorCount == 0 && !file.ParseFailed)
                {
                    file.Warning(
                        0,
                        "resources",
                        $"the EDS file holds no ClusterLoadAssignment: at start-up cluster '{expectedClusterName}' has no endpoints, and on a reload Envoy keeps the previous endpoints",
                        $"to list the endpoints (or to empty the cluster on purpose) write one ClusterLoadAssignment with cluster_name: {expectedClusterName}");
                }

                return assignments.Count == 1 ? assignments : [];
            },
            (file, reader) => EndpointBinder.Bind(file, reader, expectedClusterName),
            onResources: (file, resources) =>
            {
                if (resources.Length > 1)
                {
                    file.Error(
                        resources[1].TypeLine,
                        "resources",
                        $"Unexpected EDS resource length: {resources.Length}",
                        $"an EDS file holds exactly one ClusterLoadAssignment (cluster_name: {expectedClusterName}); give each cluster its own file");
                }
            });
    }

    private static DynamicFileResult<T> ParseDynamic<T>(
        BindContext ctx,
        string typeName,
        string kind,
        Func<BindContext, List<Placed<T>>, List<Placed<T>>> checkFile,
        Func<BindContext, MessageReader, T?> bind,
        Action<BindContext, ImmutableArray<AnyMessage>>? onResources = null)
        where T : class
    {
        string? version = null;
        var placed = new List<Placed<T>>();
        var rejected = new List<string>();
        if (!File.Exists(ctx.FullPath))
        {
            ctx.Error(0, string.Empty, $"paths must refer to an existing path in the system: '{ctx.File}' does not exist", ctx.Paths.MissingFileFix(ctx.File, null));
        }
        else
        {
            var document = Read(ctx);
            if (document.Succeeded)
            {
                (version, var resources) = DiscoveryResponseBinder.Read(ctx, document.Root, typeName, kind);
                onResources?.Invoke(ctx, resources);
                foreach (var resource in resources)
                {
                    if (bind(ctx, resource.Body) is { } value)
                    {
                        placed.Add(new Placed<T>(value, resource.Body.Path));
                    }
                    else if (RawName(resource.Body.Node) is { } name)
                    {
                        rejected.Add(name);
                    }
                }
            }
        }

        var kept = checkFile(ctx, placed);
        return new DynamicFileResult<T>(
            ctx.File,
            ctx.FullPath,
            version,
            kept.Select(p => p.Resource).ToImmutableArray(),
            kept.Select(p => p.Path).ToImmutableArray(),
            rejected.ToImmutableArray(),
            [.. ctx.Problems],
            ctx.ParseFailed);
    }

    private static string? RawName(ConfigMapping resource) =>
        resource.Entries.FirstOrDefault(e => e.Key is "name" or "cluster_name" or "clusterName").Value is ConfigScalar { Kind: ScalarKind.String, Text: { Length: > 0 } name }
            ? name
            : null;

    private static BootstrapFileResult Unreadable(BindContext ctx, string bootstrapPath) =>
        new(new BootstrapConfig { Path = bootstrapPath }, bootstrapPath, ctx.FullPath, [], [], [], [.. ctx.Problems]);

    private static DocumentParseResult Read(BindContext ctx)
    {
        var document = ConfigFileReader.ReadFile(ctx.FullPath);
        if (!document.Succeeded)
        {
            ctx.ParseError(document.ErrorLine, string.Empty, document.Error!, document.ErrorFix);
        }

        return document;
    }

    private BindContext Context(ConfigSourceConfig source, ConfigFileKind kind, string? bootstrapDirectory) =>
        new(source.Path, source.FullPath, kind, _options, new PathResolver(_options.WorkingDirectory, bootstrapDirectory));

    private ConfigSourceConfig Source(string path) =>
        new(path, Path.GetFullPath(path, Path.GetFullPath(_options.WorkingDirectory)), null);

    private static IEnumerable<Placed<T>> Place<T>(EquatableArray<T> resources, ImmutableArray<string> paths) =>
        resources.Select((resource, i) => new Placed<T>(resource, i < paths.Length ? paths[i] : string.Empty));

    private static IEnumerable<Placed<T>> Place<T>(ImmutableArray<T> resources, ImmutableArray<string> paths) =>
        resources.Select((resource, i) => new Placed<T>(resource, i < paths.Length ? paths[i] : string.Empty));

    // Problems grouped by file (bootstrap, LDS, CDS, EDS files in the order read), by line within a file; duplicates
    // (an EDS file shared by two clusters) once.
    private static ImmutableArray<ConfigError> Order(List<ConfigError> problems, List<string> fileOrder) =>
        problems
            .Distinct()
            .Select((problem, index) => (problem, index))
            .OrderBy(p => FileIndex(fileOrder, p.problem.File))
            .ThenBy(p => p.problem.Line)
            .ThenBy(p => p.index)
            .Select(p => p.problem)
            .ToImmutableArray();

    private static int FileIndex(List<string> fileOrder, string file)
    {
        var index = fileOrder.IndexOf(file);
        return index < 0 ? int.MaxValue : index;
    }
}
