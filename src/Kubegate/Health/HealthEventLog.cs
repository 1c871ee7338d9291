using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kubegate.Clusters;
using Kubegate.LogFiles;

namespace Kubegate.Health;

/// <summary>
/// The <c>event_log_path</c> file: one JSON object per line in Envoy's <c>HealthCheckEvent</c> shape (proto field
/// names, default values left out), e.g.
/// <c>{"health_checker_type":"HTTP","host":{"socket_address":{"address":"10.0.0.1","port_value":6443}},"cluster_name":"c","eject_unhealthy_event":{"failure_type":"ACTIVE"},"timestamp":"2025-01-01T00:00:00.000Z"}</c>.
/// Written with <see cref="Utf8JsonWriter"/> (no reflection, AOT-safe) to the process's one writer of that file (an
/// immediate <see cref="LogFileWriter"/>: events are rare and someone tailing the file wants them now), so the file is
/// reopened with every other log file.
/// </summary>
internal sealed class HealthEventLog
{
    private readonly LogFileWriter _writer;

    public HealthEventLog(LogFileWriter writer) => _writer = writer;

    public string Path => _writer.Path;

    /// <summary>A host failed its checks (<c>eject_unhealthy_event</c>).</summary>
    public void LogEjectUnhealthy(string checkerType, EndpointState host, string cluster, HealthCheckFailureType type, DateTimeOffset time) =>
        Write(checkerType, host, cluster, "eject_unhealthy_event", w => w.WriteString("failure_type", FailureTypeName(type)), time);

    /// <summary>A host became healthy (<c>add_healthy_event</c>).</summary>
    public void LogAddHealthy(string checkerType, EndpointState host, string cluster, bool firstCheck, DateTimeOffset time) =>
        Write(checkerType, host, cluster, "add_healthy_event", w => WriteFirstCheck(w, firstCheck), time);

    /// <summary>One failed check (<c>health_check_failure_event</c>): the first one, or every one with <c>always_log_health_check_failures</c>.</summary>
    public void LogFailure(string checkerType, EndpointState host, string cluster, HealthCheckFailureType type, bool firstCheck, DateTimeOffset time) =>
        Write(checkerType, host, cluster, "health_check_failure_event", w =>
        {
            w.WriteString("failure_type", FailureTypeName(type));
            WriteFirstCheck(w, firstCheck);
        }, time);

    /// <summary>One passed check (<c>successful_health_check_event</c>), with <c>always_log_health_check_success</c>.</summary>
    public void LogSuccess(string checkerType, EndpointState host, string cluster, DateTimeOffset time) =>
        Write(checkerType, host, cluster, "successful_health_check_event", static _ => { }, time);

    internal static string FailureTypeName(HealthCheckFailureType type) => type switch
    {
        HealthCheckFailureType.Active => "ACTIVE",
        HealthCheckFailureType.Passive => "PASSIVE",
        HealthCheckFailureType.Network => "NETWORK",
        _ => "NETWORK_TIMEOUT",
    };

    private static void WriteFirstCheck(Utf8JsonWriter writer, bool firstCheck)
    {
        // proto3 JSON leaves default values out, as Envoy's event logger does.
        if (firstCheck)
        {
            writer.WriteBoolean("first_check", true);
        }
    }

    private void Write(string checkerType, EndpointState host, string cluster, string eventName, Action<Utf8JsonWriter> body, DateTimeOffset time)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("health_checker_type", checkerType);
            writer.WriteStartObject("host");
            writer.WriteStartObject("socket_address");
            writer.WriteString("address", host.EndPoint.Address.ToString());
            writer.WriteNumber("port_value", host.EndPoint.Port);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteString("cluster_name", cluster);
            writer.WriteStartObject(eventName);
            body(writer);
            writer.WriteEndObject();
            writer.WriteString("timestamp", time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        _writer.TryEnqueue(Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n");
    }
}
