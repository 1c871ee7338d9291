using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Kubegate.Admin;

/// <summary>A listener as <c>/listeners</c> shows it: its name and the address it is bound to (the real port for port 0).</summary>
internal readonly record struct ListenerView(string Name, IPEndPoint Address);

/// <summary><c>/listeners</c>: text <c>name::ip:port</c> lines, or <c>{"listener_statuses":[…]}</c>.</summary>
internal static class ListenersFormatter
{
    public static string FormatText(IEnumerable<ListenerView> listeners)
    {
        var text = new StringBuilder();
        foreach (var listener in listeners)
        {
            text.Append(listener.Name).Append("::").Append(listener.Address.ToString()).Append('\n');
        }

        return text.ToString();
    }

    public static string FormatJson(IEnumerable<ListenerView> listeners)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("listener_statuses");
            foreach (var listener in listeners)
            {
                json.WriteStartObject();
                json.WriteString("name", listener.Name);
                json.WriteStartObject("local_address");
                json.WriteStartObject("socket_address");
                json.WriteString("address", listener.Address.Address.ToString());
                json.WriteNumber("port_value", listener.Address.Port);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
