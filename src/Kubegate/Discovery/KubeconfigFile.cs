using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Discovery;

/// <summary>
/// The parts of a kubeconfig kubegate uses: one context's cluster (server, CA, <c>tls-server-name</c>) and user
/// (client certificate and key, token), read with the config files' own YAML reader. Relative file names resolve
/// against the kubeconfig's folder, as kubectl does.
/// </summary>
internal sealed class KubeconfigFile
{
    private KubeconfigFile(string path, ConfigMapping root)
    {
        Path = path;
        Root = root;
    }

    public string Path { get; }

    public ConfigMapping Root { get; }

    public string? CurrentContext => Text(Root, "current-context");

    /// <summary>Reads and parses <paramref name="path"/>; the exception message names the file and the problem.</summary>
    /// <exception cref="KubeconfigException">The file cannot be read or is not a kubeconfig.</exception>
    public static KubeconfigFile Load(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KubeconfigException($"{fullPath}: cannot read the kubeconfig: {ex.Message}");
        }

        var parsed = YamlDocumentReader.Parse(text);
        if (!parsed.Succeeded)
        {
            throw new KubeconfigException($"{fullPath}:{parsed.ErrorLine}: not a valid kubeconfig: {parsed.Error}");
        }

        if (parsed.Root is not ConfigMapping root)
        {
            throw new KubeconfigException($"{fullPath}: not a kubeconfig (expected an object with clusters, users and contexts)");
        }

        return new KubeconfigFile(fullPath, root);
    }

    /// <summary>The context <paramref name="name"/> (null: <c>current-context</c>) with its cluster and user.</summary>
    /// <exception cref="KubeconfigException">The context, its cluster or its user is missing.</exception>
    public KubeconfigContext Resolve(string? name)
    {
        name ??= CurrentContext ?? throw new KubeconfigException($"{Path}: no current-context; name one with --context");
        var context = Named("contexts", name, "context")
            ?? throw new KubeconfigException($"{Path}: no context named '{name}' (contexts: {string.Join(", ", Names("contexts"))})");
        var clusterName = Text(context, "cluster") ?? throw new KubeconfigException($"{Path}: context '{name}' names no cluster");
        var cluster = Named("clusters", clusterName, "cluster") ?? throw new KubeconfigException($"{Path}: context '{name}' names cluster '{clusterName}', which is not in clusters");
        var userName = Text(context, "user");
        var user = userName is null ? null : Named("users", userName, "user") ?? throw new KubeconfigException($"{Path}: context '{name}' names user '{userName}', which is not in users");
        return new KubeconfigContext(this, name, context, clusterName, cluster, userName, user);
    }

    internal static string? Text(ConfigMapping map, string key) =>
        Find(map, key) is ConfigScalar { IsNull: false } scalar ? scalar.Text : null;

    internal static ConfigNode? Find(ConfigMapping map, string key)
    {
        foreach (var entry in map.Entries)
        {
            if (string.Equals(entry.Key, key, StringComparison.Ordinal))
            {
                return entry.Value;
            }
        }

        return null;
    }

    /// <summary>A file named in the kubeconfig, resolved against its folder.</summary>
    internal string ResolveFile(string name) => System.IO.Path.GetFullPath(name, System.IO.Path.GetDirectoryName(Path)!);

    private ConfigMapping? Named(string list, string name, string body)
    {
        if (Find(Root, list) is not ConfigSequence items)
        {
            return null;
        }

        foreach (var item in items.Items)
        {
            if (item is ConfigMapping map && Text(map, "name") == name)
            {
                return Find(map, body) as ConfigMapping ?? new ConfigMapping(map.Line, []);
            }
        }

        return null;
    }

    private IEnumerable<string> Names(string list) =>
        Find(Root, list) is ConfigSequence items ? items.Items.OfType<ConfigMapping>().Select(m => Text(m, "name")).OfType<string>() : [];
}

/// <summary>One resolved kubeconfig context.</summary>
internal sealed record KubeconfigContext(
    KubeconfigFile File,
    string Name,
    ConfigMapping Context,
    string ClusterName,
    ConfigMapping Cluster,
    string? UserName,
    ConfigMapping? User)
{
    public string? Server => KubeconfigFile.Text(Cluster, "server");

    public string? TlsServerName => KubeconfigFile.Text(Cluster, "tls-server-name");

    public bool InsecureSkipTlsVerify => KubeconfigFile.Text(Cluster, "insecure-skip-tls-verify") is "true" or "True";

    /// <summary>The CA bundle as PEM: <c>certificate-authority-data</c>, or the file <c>certificate-authority</c> names; null when neither.</summary>
    public string? CertificateAuthorityPem => Pem(Cluster, "certificate-authority");

    public string? ClientCertificatePem => User is null ? null : Pem(User, "client-certificate");

    public string? ClientKeyPem => User is null ? null : Pem(User, "client-key");

    /// <summary>The bearer token: <c>token</c>, or the contents of <c>tokenFile</c>.</summary>
    public string? Token => User is null ? null
        : KubeconfigFile.Text(User, "token") ?? (KubeconfigFile.Text(User, "tokenFile") is { } file ? System.IO.File.ReadAllText(File.ResolveFile(file)).Trim() : null);

    /// <summary>The CA certificates (empty when none is configured).</summary>
    public X509Certificate2Collection LoadCertificateAuthorities()
    {
        var collection = new X509Certificate2Collection();
        if (CertificateAuthorityPem is { } pem)
        {
            collection.ImportFromPem(pem);
        }

        return collection;
    }

    private string? Pem(ConfigMapping map, string key)
    {
        try
        {
            if (KubeconfigFile.Text(map, key + "-data") is { } data)
            {
                return Encoding.UTF8.GetString(Convert.FromBase64String(data));
            }

            return KubeconfigFile.Text(map, key) is { } file ? System.IO.File.ReadAllText(File.ResolveFile(file)) : null;
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new KubeconfigException($"{File.Path}: context '{Name}': cannot read {key}: {ex.Message}");
        }
    }
}

/// <summary>A kubeconfig that cannot be used; the message names the file and what is wrong.</summary>
internal sealed class KubeconfigException(string message) : Exception(message);
