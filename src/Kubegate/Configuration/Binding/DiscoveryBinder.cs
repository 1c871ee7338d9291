using Kubegate.Configuration.Yaml;
using Kubegate.Infrastructure;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// Binds kubegate's own extension of a Cluster, <c>metadata.filter_metadata.kubegate.discovery</c>. Envoy keeps
/// <c>filter_metadata</c> as free-form data for filters it does not have, so the same file still means the same
/// cluster to Envoy; kubegate reads only its <c>kubegate</c> key and leaves every other key alone (the Cluster's
/// <c>metadata</c> field stays "accepted silently" for the field reference).
/// </summary>
internal static class DiscoveryBinder
{
    public const string TypeName = "kubegate.discovery";

    public static DiscoveryConfig? Bind(BindContext ctx, MessageReader cluster, DiscoveryType type, ConfigSourceConfig? edsConfig)
    {
        if (Entry(cluster.Node, "metadata") is not { Value: ConfigMapping metadata } ||
            Entry(metadata, "filter_metadata") is not { Value: ConfigMapping filterMetadata } ||
            Entry(filterMetadata, "kubegate") is not { } kubegateEntry)
        {
            return null;
        }

        var kubegatePath = MessageReader.Child(cluster.Path, "metadata.filter_metadata.kubegate");
        if (kubegateEntry.Value is not ConfigMapping kubegate)
        {
            ctx.ParseError(kubegateEntry.Line, kubegatePath, $"expected an object (kubegate's cluster extensions), found {kubegateEntry.Value.Describe()}");
            return null;
        }

        // Other kubegate extensions may live beside discovery, each read by its own binder, so other keys are not
        // reported as unknown here; only a near miss of "discovery" is, since it would silently turn discovery off.
        foreach (var entry in kubegate.Entries)
        {
            if (entry.Key != "discovery" && EditDistance.Between(entry.Key, "discovery") <= 2)
            {
                ctx.Warning(entry.Line, MessageReader.Child(kubegatePath, entry.Key), $"unknown kubegate extension '{entry.Key}'", "did you mean 'discovery'?");
            }
        }

        if (Entry(kubegate, "discovery") is not { } discoveryEntry)
        {
            return null;
        }

        var m = MessageReader.Open(ctx, discoveryEntry.Value, MessageReader.Child(kubegatePath, discoveryEntry.Key), TypeName, discoveryEntry.Line);
        if (m is null)
        {
            return null;
        }

        var errorsBefore = ctx.ErrorCount;
        var listener = m.String("listener");
        var serverName = m.String("server_name");
        var kubeconfig = FilePath(ctx, m, "kubeconfig", "kubeconfig");
        var context = m.String("context");
        var ca = FilePath(ctx, m, "ca_file", "CA certificate");
        var certificate = FilePath(ctx, m, "certificate_file", "client certificate");
        var key = FilePath(ctx, m, "private_key_file", "private key");
        m.Finish();

        if (type != DiscoveryType.Eds || edsConfig is null)
        {
            ctx.Error(m.Line, m.Path, "discovery writes the cluster's EDS file, so the cluster must be type: EDS with eds_cluster_config.eds_config.path_config_source",
                "add type: EDS and eds_cluster_config: {eds_config: {path_config_source: {path: <eds file>}}}");
        }

        if (kubeconfig is null && ca is null && !m.IsWritten("kubeconfig") && !m.IsWritten("ca_file"))
        {
            ctx.Error(m.Line, m.Path, "discovery needs credentials to read the default/kubernetes EndpointSlices",
                "write kubeconfig: <file> (its CA and client certificate are used), or ca_file, certificate_file and private_key_file");
        }

        if (kubeconfig is not null && (ca is not null || certificate is not null || key is not null))
        {
            ctx.Error(m.Line, m.Path, "discovery takes its credentials either from kubeconfig or from ca_file/certificate_file/private_key_file, not both",
                "keep kubeconfig, or remove it and keep the three files");
        }

        if (kubeconfig is null && (certificate is null) != (key is null))
        {
            ctx.Error(m.Line, m.Path, "certificate_file and private_key_file go together", "write both, or neither");
        }

        if (context is not null && kubeconfig is null)
        {
            ctx.Error(m.Line, MessageReader.Child(m.Path, "context"), "context selects a context of the kubeconfig file, and there is none", "add kubeconfig: <file>, or remove context");
        }

        if (ctx.ErrorCount != errorsBefore)
        {
            return null;
        }

        return new DiscoveryConfig
        {
            Listener = string.IsNullOrEmpty(listener) ? null : listener,
            ServerName = string.IsNullOrEmpty(serverName) ? DiscoveryConfig.DefaultServerName : serverName,
            KubeconfigFile = kubeconfig,
            KubeconfigContext = string.IsNullOrEmpty(context) ? null : context,
            CaFile = ca,
            CertificateFile = certificate,
            PrivateKeyFile = key,
            Location = ctx.Location(m.Line),
        };
    }

    private static ConfigMappingEntry? Entry(ConfigMapping map, string key)
    {
        foreach (var entry in map.Entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.Ordinal) || string.Equals(entry.Key, MessageReader.ToJsonName(key), StringComparison.Ordinal))
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>A file that must exist, resolved against the working directory as every path in the config.</summary>
    private static string? FilePath(BindContext ctx, MessageReader m, string name, string what)
    {
        var field = m.Find(name);
        var path = ProtoValues.String(ctx, field);
        if (path is null)
        {
            return null;
        }

        if (path.Length == 0 || PathResolver.Problem(path) is not null)
        {
            ctx.Error(field.Line, field.Path, PathResolver.Problem(path) ?? $"{name} must not be empty", $"write the {what} file's path");
            return null;
        }

        var fullPath = ctx.Paths.Resolve(path);
        if (!File.Exists(fullPath))
        {
            ctx.Error(field.Line, field.Path, $"Invalid path: {path} ({what} file does not exist)", ctx.Paths.MissingFileFix(path, Path.GetDirectoryName(ctx.FullPath)));
            return null;
        }

        return fullPath;
    }
}
