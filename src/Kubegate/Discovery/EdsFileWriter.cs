using System.Globalization;
using System.Net;
using System.Text;

namespace Kubegate.Discovery;

/// <summary>Renders a discovered apiserver list as an EDS file and puts it in place atomically.</summary>
internal static class EdsFileWriter
{
    /// <summary>
    /// The EDS file for <paramref name="endpoints"/>. Its <c>version_info</c> is a hash of the list, so the same list
    /// renders the same bytes and an unchanged list is never rewritten.
    /// </summary>
    public static string Render(string clusterName, IReadOnlyList<IPEndPoint> endpoints, string source)
    {
        var list = string.Join(",", endpoints.Select(e => e.ToString()));
        var version = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(list)))[..16];
        var text = new StringBuilder();
        text.Append("# Written by kubegate's apiserver discovery from ").Append(source).Append(".\n");
        text.Append("# It is the last known good list, used as is at the next start; edits are overwritten at the next change.\n");
        text.Append("version_info: \"").Append(version).Append("\"\n");
        text.Append("resources:\n");
        text.Append("- \"@type\": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment\n");
        text.Append("  cluster_name: \"").Append(clusterName.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append("\"\n");
        text.Append("  endpoints:\n");
        text.Append("  - lb_endpoints:\n");
        foreach (var endpoint in endpoints)
        {
            text.Append("    - endpoint:\n");
            text.Append("        address:\n");
            text.Append("          socket_address:\n");
            text.Append("            address: \"").Append(endpoint.Address.ToString()).Append("\"\n");
            text.Append("            port_value: ").Append(endpoint.Port.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// Writes a temporary file in the same folder, flushes it to disk, and renames it over <paramref name="path"/>:
    /// readers (the config watcher, a restart after a crash) see the old file or the new one, never a part.
    /// </summary>
    public static void WriteAtomic(string path, string content)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(directory, "." + Path.GetFileName(path) + ".kubegate-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(content));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
