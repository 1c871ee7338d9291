using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Kubegate.Admin;

/// <summary>What <c>/server_info</c> reports.</summary>
internal sealed record ServerInfo(string Version, ServerState State, TimeSpan Uptime, string ConfigPath, string? NodeId, string? NodeCluster);

/// <summary><c>/server_info</c>: a minimal <c>envoy.admin.v3.ServerInfo</c>.</summary>
internal static class ServerInfoFormatter
{
    public static string FormatJson(ServerInfo info)
    {
        var uptime = ((long)info.Uptime.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) + "s";
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", info.Version);
            json.WriteString("state", info.State.ToEnvoyName());
            json.WriteString("hot_restart_version", "disabled");
            json.WriteStartObject("command_line_options");
            json.WriteString("config_path", info.ConfigPath);
            json.WriteString("mode", "Serve");
            json.WriteEndObject();
            json.WriteStartObject("node");
            if (info.NodeId is not null)
            {
                json.WriteString("id", info.NodeId);
            }

            if (info.NodeCluster is not null)
            {
                json.WriteString("cluster", info.NodeCluster);
            }

            json.WriteEndObject();
            json.WriteString("uptime_current_epoch", uptime);
            json.WriteString("uptime_all_epochs", uptime);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
