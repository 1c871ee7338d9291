using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Kubegate.Clusters;
using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Health;

/// <summary>
/// The <c>event_log_path</c> file: one JSON object per line in Envoy's <c>HealthCheckEvent</c> shape (proto field
/// names, default values left out), e.g.
/// <c>{"health_checker_type":"HTTP","host":{"socket_address":{"address":"10.0.0.1","port_value":6443}},"cluster_name":"c","eject_unhealthy_event":{"failure_type":"ACTIVE"},"timestamp":"2025-01-01T00:00:00.000Z"}</c>.
/// Written with <see cref="Utf8JsonWriter"/> (no reflection, AOT-safe); each line is flushed at once, as events are
/// rare and someone tailing the file wants them now.
/// </summary>
internal sealed partial class HealthEventLog : IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private FileStream? _stream;
    private bool _failed;
    private bool _disposed;

    public HealthEventLog(string path, ILogger logger)
    {
        _path = path;
        _logger = logger;
    }

    public string Path => _path;

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

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _stream?.Dispose();
            _stream = null;
        }
    }

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

        lock (_lock)
        {
            if (_disposed || _failed)
            {
                return;
            }

            try
            {
                _stream ??= new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                _stream.Write(buffer.WrittenSpan);
                _stream.WriteByte((byte)'\n');
                _stream.Flush();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // One warning, then silence: a health event log that cannot be written must not flood the log.
                _failed = true;
                Log.EventLogFailed(_logger, _path, ex.Message);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.HealthEventLogFailed, LogLevel.Warning, "health check event log {Path} cannot be written, no more events go there: {Message}", EventName = "HealthEventLogFailed")]
        public static partial void EventLogFailed(ILogger logger, string path, string message);
    }
}
