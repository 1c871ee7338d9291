using System.Globalization;
using System.Text;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Discovery;

/// <summary>
/// Writes the kubeconfig that reaches a cluster through kubegate: the user's credentials as they are (file names
/// made absolute, since the new file may live elsewhere), the cluster's CA inline, <c>server</c> the listener and
/// <c>tls-server-name</c> a name of the apiserver's certificate.
/// </summary>
internal static class KubeconfigWriter
{
    private static readonly string[] FileKeys = ["client-certificate", "client-key", "tokenFile", "certificate-authority"];

    public static string Render(KubeconfigContext source, string server, string caPem, string tlsServerName)
    {
        var cluster = source.ClusterName + "-kubegate";
        var context = source.Name + "-kubegate";
        var text = new StringBuilder();
        text.Append("# Reaches cluster '").Append(source.ClusterName).Append("' of ").Append(source.File.Path).Append(" through kubegate (")
            .Append(server).Append("), written by kubegate kubeconfig.\n");
        text.Append("apiVersion: v1\nkind: Config\n");
        text.Append("clusters:\n- name: ").Append(Quote(cluster)).Append('\n');
        text.Append("  cluster:\n");
        text.Append("    server: ").Append(Quote(server)).Append('\n');
        text.Append("    certificate-authority-data: ").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(caPem))).Append('\n');
        text.Append("    tls-server-name: ").Append(Quote(tlsServerName)).Append('\n');
        text.Append("users:\n");
        if (source.UserName is { } user)
        {
            text.Append("- name: ").Append(Quote(user)).Append('\n');
            text.Append("  user:");
            WriteValue(text, source.User ?? new ConfigMapping(0, []), 4, source.File);
        }
        else
        {
            text.Append("[]\n");
        }

        text.Append("contexts:\n- name: ").Append(Quote(context)).Append('\n');
        text.Append("  context:\n");
        text.Append("    cluster: ").Append(Quote(cluster)).Append('\n');
        if (source.UserName is not null)
        {
            text.Append("    user: ").Append(Quote(source.UserName)).Append('\n');
        }

        if (KubeconfigFile.Text(source.Context, "namespace") is { } ns)
        {
            text.Append("    namespace: ").Append(Quote(ns)).Append('\n');
        }

        text.Append("current-context: ").Append(Quote(context)).Append('\n');
        return text.ToString();
    }

    /// <summary>Block-style YAML of <paramref name="node"/>, after a key on the current line.</summary>
    private static void WriteValue(StringBuilder text, ConfigNode node, int indent, KubeconfigFile file, string? key = null)
    {
        switch (node)
        {
            case ConfigMapping { Entries.IsEmpty: true }:
                text.Append(" {}\n");
                break;
            case ConfigMapping map:
                text.Append('\n');
                foreach (var entry in map.Entries)
                {
                    text.Append(' ', indent).Append(Key(entry.Key)).Append(':');
                    WriteValue(text, entry.Value, indent + 2, file, entry.Key);
                }

                break;
            case ConfigSequence { Items.IsEmpty: true }:
                text.Append(" []\n");
                break;
            case ConfigSequence list:
                text.Append('\n');
                foreach (var item in list.Items)
                {
                    text.Append(' ', indent).Append('-');
                    WriteValue(text, item, indent + 2, file);
                }

                break;
            case ConfigScalar scalar:
                var value = scalar.Text;
                if (key is not null && FileKeys.Contains(key) && !scalar.IsNull)
                {
                    value = file.ResolveFile(value);
                }

                text.Append(' ').Append(scalar.Kind is ScalarKind.String || key is not null && FileKeys.Contains(key) ? Quote(value) : value).Append('\n');
                break;
        }
    }

    private static string Key(string key) =>
        key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && key.Length > 0 ? key : Quote(key);

    /// <summary>A YAML double-quoted scalar (JSON string escaping is valid YAML).</summary>
    private static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => text.Append("\\\""),
                '\\' => text.Append("\\\\"),
                '\n' => text.Append("\\n"),
                '\r' => text.Append("\\r"),
                '\t' => text.Append("\\t"),
                < ' ' => text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => text.Append(c),
            };
        }

        return text.Append('"').ToString();
    }
}
