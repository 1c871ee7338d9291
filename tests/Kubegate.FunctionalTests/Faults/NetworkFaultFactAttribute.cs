namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// A fact that builds network namespaces, veth pairs, nft tables and tc qdiscs: it needs Linux, root (CAP_NET_ADMIN
/// and CAP_SYS_ADMIN for setns) and the ip, tc (iproute2) and nft (nftables) commands. Where any is missing it is
/// reported as skipped with the reason, never as passed (xunit 2 has no runtime skip). CI runs as root and
/// .ci/run installs both packages, so there these tests always run.
/// </summary>
internal sealed class NetworkFaultFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public NetworkFaultFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces are Linux only";
        }

        if (!IsRoot())
        {
            return "network fault tests need root (network namespaces, veth, nftables, tc); run `make test` as root, as CI does";
        }

        var missing = new[] { ("ip", "iproute2"), ("tc", "iproute2"), ("nft", "nftables") }
            .Where(tool => FindOnPath(tool.Item1) is null)
            .Select(tool => $"{tool.Item1} (Debian package {tool.Item2})")
            .ToArray();
        return missing.Length == 0 ? null : "network fault tests need " + string.Join(", ", missing) + " on the PATH; .ci/run installs them";
    }

    private static bool IsRoot()
    {
        // The effective uid, from /proc (Environment.UserName may come from $USER).
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                var fields = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 2 && fields[2] == "0";
            }
        }

        return false;
    }

    private static string? FindOnPath(string command)
    {
        // The tests start the tools by name, so they must be where a name is looked up: the PATH.
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries);
        return directories.Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists);
    }
}
