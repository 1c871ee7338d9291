namespace Kubegate.Configuration;

/// <summary>
/// kubegate's apiserver discovery for one EDS cluster (<c>metadata.filter_metadata.kubegate.discovery</c>): list and
/// watch the <c>default/kubernetes</c> EndpointSlices through one of kubegate's own listeners and write the cluster's
/// EDS file from them. Envoy ignores <c>filter_metadata</c> it has no filter for, so the file keeps its Envoy meaning.
/// </summary>
internal sealed record DiscoveryConfig
{
    /// <summary>The name the apiserver certificate is verified against (and sent as SNI). Default <c>kubernetes</c>, a name kubeadm, k3s and RKE2 always put in it.</summary>
    public const string DefaultServerName = "kubernetes";

    /// <summary>The listener to reach the apiservers through; null means the first listener whose tcp_proxy routes to this cluster.</summary>
    public string? Listener { get; init; }

    public string ServerName { get; init; } = DefaultServerName;

    /// <summary>A kubeconfig file (full path) whose context supplies the CA and the client credentials.</summary>
    public string? KubeconfigFile { get; init; }

    /// <summary>The kubeconfig context; null means its <c>current-context</c>.</summary>
    public string? KubeconfigContext { get; init; }

    /// <summary>The CA that signed the apiserver certificate (full path), when no kubeconfig is given.</summary>
    public string? CaFile { get; init; }

    /// <summary>The client certificate (full path), when no kubeconfig is given.</summary>
    public string? CertificateFile { get; init; }

    /// <summary>The client certificate's private key (full path).</summary>
    public string? PrivateKeyFile { get; init; }

    public SourceLocation Location { get; init; }
}
