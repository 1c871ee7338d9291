using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using Kubegate.AccessLog;
using Kubegate.AccessLog.Formatting;
using Kubegate.Configuration;

namespace Kubegate.Benchmarks;

/// <summary>
/// Renders one access-log entry per operation into a reused <see cref="StringBuilder"/>, as the proxy does for
/// every closed connection: the example's text format, Envoy's default format, and a JSON format with nested keys.
/// Rendering runs on the proxy's path, so the <c>Allocated</c> column should stay at (or near) 0 B.
/// </summary>
[MemoryDiagnoser]
public class AccessLogRenderBenchmarks
{
    // The format of examples/k8s-api-proxy/lds.yaml, kept in step by hand.
    private const string ExampleFormat =
        "[%START_TIME%] %REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL% %RESPONSE_CODE% %RESPONSE_FLAGS% "
        + "%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% "
        + "%UPSTREAM_HOST% %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT% %REQ(X-FORWARDED-FOR)% "
        + "%REQ(USER-AGENT)% %REQ(X-REQUEST-ID)% %REQ(:AUTHORITY)% %UPSTREAM_TRANSPORT_FAILURE_REASON%\n";

    private readonly StringBuilder _output = new(1024);

    private AccessLogRecord _record = new();
    private AccessLogFormat? _example;
    private AccessLogFormat? _default;
    private AccessLogFormat? _json;

    [GlobalSetup]
    public void Setup()
    {
        _record = new AccessLogRecord
        {
            StartTime = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero).AddTicks(1234567),
            Duration = TimeSpan.FromMilliseconds(2.7),
            BytesReceived = 2_517,
            BytesSent = 18_234,
            UpstreamHost = new IPEndPoint(new IPAddress([10, 0, 0, 11]), 6443),
            UpstreamCluster = "k8s_cluster1",
            UpstreamLocalAddress = new IPEndPoint(new IPAddress([10, 0, 0, 2]), 40000),
            DownstreamRemoteAddress = new IPEndPoint(new IPAddress([10, 0, 1, 7]), 51000),
            DownstreamLocalAddress = new IPEndPoint(new IPAddress([10, 0, 0, 2]), 6443),
            ConnectionId = 7,
            RequestedServerName = "kubernetes.default",
            UpstreamRequestAttemptCount = 1,
            ListenerName = "k8s_cluster1",
        };

        _example = Compile(new AccessLogConfig { Name = "file", TypeUrl = "t", TextFormat = ExampleFormat });
        _default = Compile(new AccessLogConfig { Name = "file", TypeUrl = "t" });
        _json = Compile(new AccessLogConfig
        {
            Name = "file",
            TypeUrl = "t",
            JsonFormat = new EquatableDictionary<string>(new Dictionary<string, string>
            {
                ["start"] = "%START_TIME%",
                ["duration_ms"] = "%DURATION%",
                ["bytes.rx"] = "%BYTES_RECEIVED%",
                ["bytes.tx"] = "%BYTES_SENT%",
                ["flags"] = "%RESPONSE_FLAGS%",
                ["downstream.remote"] = "%DOWNSTREAM_REMOTE_ADDRESS%",
                ["downstream.sni"] = "%REQUESTED_SERVER_NAME%",
                ["upstream.host"] = "%UPSTREAM_HOST%",
                ["upstream.cluster"] = "%UPSTREAM_CLUSTER%",
            }),
        });
    }

    [Benchmark(Baseline = true, Description = "Text, example lds.yaml format")]
    public int Example() => RenderOnce(_example!);

    [Benchmark(Description = "Text, Envoy default format")]
    public int Default() => RenderOnce(_default!);

    [Benchmark(Description = "JSON, 9 keys, nested")]
    public int Json() => RenderOnce(_json!);

    private static AccessLogFormat Compile(AccessLogConfig config) =>
        AccessLogFormat.TryCompile(config, out var format, out var error)
            ? format!
            : throw new InvalidOperationException($"access-log format does not compile: {error}");

    // Returns the length so the rendering cannot be optimised away; the builder is reused like the writer's.
    private int RenderOnce(AccessLogFormat format)
    {
        _output.Clear();
        format.Render(_record, _output);
        return _output.Length;
    }
}
