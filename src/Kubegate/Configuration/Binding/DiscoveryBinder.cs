namespace Kubegate.Configuration.Binding;

/// <summary>
/// Binds kubegate's own extension of a Cluster, <c>metadata.filter_metadata.kubegate.discovery</c>. Envoy keeps
/// <c>filter_metadata</c> as free-form data for filters it does not have, so the same file still means the same
/// cluster to Envoy. The cluster binder reads <c>filter_metadata.kubegate</c> (and reports its unknown keys) and
/// hands this binder the <c>discovery</c> field.
/// </summary>
internal static class DiscoveryBinder
{
    public const string TypeName = "kubegate.discovery";

    /// <param name="field">The <c>discovery</c> field of <c>filter_metadata.kubegate</c>, found by the cluster's metadata binder.</param>
    public static DiscoveryConfig? Bind(BindContext ctx, Field field, DiscoveryType type, ConfigSourceConfig? edsConfig)
    {
        var m = MessageReader.Open(ctx, field, TypeName);
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
