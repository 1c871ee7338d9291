using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kubegate.Testing;

/// <summary>Writes kubeconfig files with everything inline, so a test directory holds one self-contained file per client.</summary>
public static class Kubeconfig
{
    /// <summary>
    /// Writes a kubeconfig with one cluster, one user and one current context, all named <paramref name="name"/>,
    /// and returns <paramref name="path"/>.
    /// </summary>
    /// <param name="path">The file to write (its directory is created).</param>
    /// <param name="server">The server URL, e.g. <c>https://127.0.0.1:6443</c>.</param>
    /// <param name="certificateAuthority">The CA kubectl trusts for the server (<c>certificate-authority-data</c>).</param>
    /// <param name="clientCertificate">The user's certificate with private key, or <see langword="null"/> for an anonymous user.</param>
    /// <param name="tlsServerName">The name to verify the server certificate against instead of the URL's host (<c>tls-server-name</c>).</param>
    /// <param name="name">The cluster, user and context name.</param>
    /// <param name="token">
    /// A bearer token for the user (<see cref="FakeApiServer"/> ignores it: without a certificate the request is
    /// anonymous). Give one for an "anonymous" kubectl: when the user has no credentials at all, kubectl prompts
    /// "Please enter Username:" on stdin, and with stdin closed (as <see cref="Kubectl"/> runs it) fails with
    /// <c>error: EOF</c> before sending the request.
    /// </param>
    public static string Write(string path, string server, X509Certificate2 certificateAuthority, X509Certificate2? clientCertificate = null, string? tlsServerName = null, string name = "kubegate-test", string? token = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(server);
        ArgumentNullException.ThrowIfNull(certificateAuthority);

        var yaml = new StringBuilder();
        yaml.Append("apiVersion: v1\n");
        yaml.Append("kind: Config\n");
        yaml.Append("clusters:\n");
        yaml.Append("- name: ").Append(Quote(name)).Append('\n');
        yaml.Append("  cluster:\n");
        yaml.Append("    server: ").Append(Quote(server.TrimEnd('/'))).Append('\n');
        yaml.Append("    certificate-authority-data: ").Append(Base64(certificateAuthority.ExportCertificatePem())).Append('\n');
        if (tlsServerName is not null)
        {
            yaml.Append("    tls-server-name: ").Append(Quote(tlsServerName)).Append('\n');
        }

        yaml.Append("users:\n");
        yaml.Append("- name: ").Append(Quote(name)).Append('\n');
        if (clientCertificate is null && token is null)
        {
            yaml.Append("  user: {}\n");
        }
        else
        {
            yaml.Append("  user:\n");
            if (clientCertificate is not null)
            {
                yaml.Append("    client-certificate-data: ").Append(Base64(clientCertificate.ExportCertificatePem())).Append('\n');
                yaml.Append("    client-key-data: ").Append(Base64(TestCertificateAuthority.ExportPrivateKeyPem(clientCertificate))).Append('\n');
            }

            if (token is not null)
            {
                yaml.Append("    token: ").Append(Quote(token)).Append('\n');
            }
        }

        yaml.Append("contexts:\n");
        yaml.Append("- name: ").Append(Quote(name)).Append('\n');
        yaml.Append("  context:\n");
        yaml.Append("    cluster: ").Append(Quote(name)).Append('\n');
        yaml.Append("    user: ").Append(Quote(name)).Append('\n');
        yaml.Append("current-context: ").Append(Quote(name)).Append('\n');
        yaml.Append("preferences: {}\n");

        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, yaml.ToString());
        if (!OperatingSystem.IsWindows())
        {
            // It holds a private key; kubectl itself writes kubeconfigs 0600.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }

    private static string Base64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));

    // A YAML double-quoted scalar: safe for names with ':' (system:masters), '#', leading '-' and the like.
    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
