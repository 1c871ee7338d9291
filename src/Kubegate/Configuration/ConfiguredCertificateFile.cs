namespace Kubegate.Configuration;

/// <summary>A certificate file the configuration names: a CA to trust or a certificate kubegate presents.</summary>
/// <param name="Path">The full path.</param>
/// <param name="IsCa">True for a CA (<c>trusted_ca</c>, discovery's <c>ca_file</c>), false for a certificate kubegate presents.</param>
/// <param name="Cluster">The cluster that uses it.</param>
/// <param name="Use">What uses it: <c>health check</c> or <c>discovery</c>.</param>
internal sealed record ConfiguredCertificateFile(string Path, bool IsCa, string Cluster, string Use)
{
    /// <summary>Every certificate file <paramref name="snapshot"/> names, each (path, role, cluster) once, in config order.</summary>
    public static IReadOnlyList<ConfiguredCertificateFile> Of(ConfigSnapshot snapshot)
    {
        var result = new List<ConfiguredCertificateFile>();
        foreach (var cluster in snapshot.Clusters)
        {
            var sockets = cluster.TransportSocketMatches.Select(m => m.TransportSocket).Prepend(cluster.TransportSocket);
            foreach (var tls in sockets.Select(s => s?.Tls).OfType<UpstreamTlsContextConfig>())
            {
                Add(tls.TrustedCaFile, true, cluster.Name, "health check");
                Add(tls.CertificateChainFile, false, cluster.Name, "health check");
            }

            if (cluster.Discovery is { } discovery)
            {
                Add(discovery.CaFile, true, cluster.Name, "discovery");
                Add(discovery.CertificateFile, false, cluster.Name, "discovery");
            }
        }

        return result;

        void Add(string? path, bool isCa, string cluster, string use)
        {
            if (path is not null && !result.Any(f => f.Path == path && f.IsCa == isCa && f.Cluster == cluster))
            {
                result.Add(new ConfiguredCertificateFile(path, isCa, cluster, use));
            }
        }
    }
}
