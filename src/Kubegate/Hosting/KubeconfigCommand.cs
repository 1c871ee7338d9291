using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Kubegate.Configuration;
using Kubegate.Discovery;
using Kubegate.Infrastructure;

namespace Kubegate.Hosting;

/// <summary>
/// <c>kubegate kubeconfig</c>: from a user's kubeconfig and a kubegate listener, writes a kubeconfig that reaches the
/// same cluster through kubegate: the same credentials and CA, <c>server</c> the listener, <c>tls-server-name</c> a
/// name of the apiserver's certificate (read through the listener, or from the original server) so that kubectl's
/// verification still passes. Refuses, with the reason, whenever the result would not verify.
/// </summary>
internal static class KubeconfigCommand
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(5);

    public sealed record Options(string? Kubeconfig, string? Context, string Listener, string? ConfigPath, string? Output, bool Force);

    public static async Task<int> RunAsync(Options options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        try
        {
            var path = options.Kubeconfig ?? DefaultKubeconfig();
            var context = KubeconfigFile.Load(path).Resolve(options.Context);
            if (context.InsecureSkipTlsVerify)
            {
                return Refuse(stderr, $"cluster '{context.ClusterName}' in {context.File.Path} sets insecure-skip-tls-verify: there is no CA to verify the apiserver through kubegate with; set certificate-authority(-data) instead");
            }

            var caPem = context.CertificateAuthorityPem;
            var roots = context.LoadCertificateAuthorities();
            if (caPem is null || roots.Count == 0)
            {
                return Refuse(stderr, $"cluster '{context.ClusterName}' in {context.File.Path} has no certificate-authority or certificate-authority-data: kubectl could not verify the apiserver through kubegate (write the cluster's CA into the kubeconfig, e.g. /etc/kubernetes/pki/ca.crt)");
            }

            var listener = ResolveListener(options.Listener, options.ConfigPath, out var listenerProblem);
            if (listener is null)
            {
                return Refuse(stderr, listenerProblem!);
            }

            Uri.TryCreate(context.Server, UriKind.Absolute, out var serverUri);
            var certificate = await ReadCertificateAsync(listener, serverUri, context.TlsServerName, stderr, cancellationToken).ConfigureAwait(false);
            if (certificate is null)
            {
                return Refuse(stderr, $"cannot read the apiserver's certificate through {listener} or from {context.Server}: the name for tls-server-name must come from it");
            }

            using (certificate)
            {
                if (!ChainsTo(certificate, roots))
                {
                    return Refuse(stderr, $"the certificate served through {listener} ({certificate.Subject}, issued by {certificate.Issuer}) does not chain to the CA of cluster '{context.ClusterName}': kubectl would refuse it (is {listener} a listener of this cluster?)");
                }

                var details = CertificateDetails.From(certificate);
                var name = TlsServerName.Choose(details.DnsNames, context.TlsServerName, serverUri?.Host);
                if (name is null)
                {
                    return Refuse(stderr, $"the apiserver's certificate ({certificate.Subject}) has no DNS name (IP addresses: {string.Join(", ", details.IpAddresses)}), so there is no usable tls-server-name; reissue it with a DNS name such as kubernetes (kubeadm: apiServer.certSANs)");
                }

                var yaml = KubeconfigWriter.Render(context, "https://" + listener, caPem, name);
                if (options.Output is null)
                {
                    await stdout.WriteAsync(yaml).ConfigureAwait(false);
                    return 0;
                }

                var output = Path.GetFullPath(options.Output);
                if (File.Exists(output) && !options.Force)
                {
                    return Refuse(stderr, $"{output} exists; add --force to overwrite it");
                }

                // It holds credentials: 0600, as kubectl writes kubeconfigs.
                var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using (var stream = new FileStream(output, fileOptions))
                using (var writer = new StreamWriter(stream))
                {
                    await writer.WriteAsync(yaml).ConfigureAwait(false);
                }

                await stderr.WriteLineAsync($"wrote {output}: server https://{listener}, tls-server-name {name}; try kubectl --kubeconfig {output} get --raw /version").ConfigureAwait(false);
                return 0;
            }
        }
        catch (KubeconfigException ex)
        {
            return Refuse(stderr, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            return Refuse(stderr, ex.Message);
        }
    }

    private static int Refuse(TextWriter stderr, string reason)
    {
        stderr.WriteLine($"kubegate kubeconfig: {reason}");
        return 1;
    }

    /// <summary>kubectl's default: the first file of $KUBECONFIG, else ~/.kube/config.</summary>
    private static string DefaultKubeconfig()
    {
        var variable = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrEmpty(variable))
        {
            return variable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)[0];
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
    }

    /// <summary>An address (<c>host:port</c>), or the name of a listener in the configuration <paramref name="configPath"/>.</summary>
    private static IPEndPoint? ResolveListener(string listener, string? configPath, out string? problem)
    {
        problem = null;
        if (IPEndPoint.TryParse(listener, out var endPoint) && endPoint.Port != 0)
        {
            return Connectable(endPoint);
        }

        if (configPath is null)
        {
            problem = $"--listener '{listener}' is not an address (host:port); to name a listener, also give the kubegate config with -c <envoy.yaml>";
            return null;
        }

        var result = new ConfigLoader(new ConfigLoaderOptions()).Load(configPath);
        if (!result.Succeeded)
        {
            problem = $"{configPath} does not load ({result.Errors.Count()} error(s); run kubegate --mode validate -c {configPath})";
            return null;
        }

        var found = result.Snapshot!.Listeners.FirstOrDefault(l => l.Name == listener);
        if (found is null)
        {
            problem = $"{configPath} has no listener named '{listener}' (listeners: {string.Join(", ", result.Snapshot.Listeners.Select(l => l.Name))})";
            return null;
        }

        if (found.Address.Port == 0)
        {
            problem = $"listener '{listener}' binds port 0 (any free port); give its address with --listener host:port instead";
            return null;
        }

        return Connectable(found.Address.ToEndPoint());
    }

    private static IPEndPoint Connectable(IPEndPoint endPoint) =>
        endPoint.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, endPoint.Port)
        : endPoint.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.IPv6Loopback, endPoint.Port)
        : endPoint;

    /// <summary>The apiserver's certificate through the listener (the path kubectl will take), else from the kubeconfig's server.</summary>
    private static async Task<X509Certificate2?> ReadCertificateAsync(IPEndPoint listener, Uri? server, string? sni, TextWriter stderr, CancellationToken cancellationToken)
    {
        var serverName = sni ?? (server is not null && !IPAddress.TryParse(server.Host.Trim('[', ']'), out _) ? server.Host : "kubernetes");
        try
        {
            return await HandshakeAsync(listener, serverName, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            await stderr.WriteLineAsync($"kubegate kubeconfig: no TLS answer through {listener} ({ex.Message}); reading the certificate from {server} instead").ConfigureAwait(false);
        }

        if (server is null)
        {
            return null;
        }

        try
        {
            var addresses = IPAddress.TryParse(server.Host.Trim('[', ']'), out var ip) ? [ip] : await Dns.GetHostAddressesAsync(server.Host, cancellationToken).ConfigureAwait(false);
            return addresses.Length == 0 ? null : await HandshakeAsync(new IPEndPoint(addresses[0], server.Port), serverName, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            await stderr.WriteLineAsync($"kubegate kubeconfig: no TLS answer from {server} either ({ex.Message})").ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>A TLS handshake that only reads the server's certificate (checked against the CA afterwards).</summary>
    private static async Task<X509Certificate2?> HandshakeAsync(IPEndPoint endPoint, string serverName, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HandshakeTimeout);
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
        await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await ssl.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
            timeout.Token).ConfigureAwait(false);
        return ssl.RemoteCertificate is { } remote ? X509CertificateLoader.LoadCertificate(remote.GetRawCertData()) : null;
    }

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection roots)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        return chain.Build(certificate);
    }
}
