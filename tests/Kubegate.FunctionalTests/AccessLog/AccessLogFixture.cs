using System.Text;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.FunctionalTests.AccessLog;

/// <summary>Access-log configs and a temp directory for their files.</summary>
internal sealed class AccessLogFixture : IDisposable
{
    /// <summary>The format of the seed's LDS (examples/k8s-api-proxy/lds.yaml).</summary>
    public const string SeedFormat = "[%START_TIME%] %REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL% %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %UPSTREAM_HOST% %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT% %REQ(X-FORWARDED-FOR)% %REQ(USER-AGENT)% %REQ(X-REQUEST-ID)% %REQ(:AUTHORITY)% %UPSTREAM_TRANSPORT_FAILURE_REASON%\n";

    public AccessLogFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "kubegate-accesslog-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        LogPath = Path.Combine(Directory, "access.log");
    }

    public string Directory { get; }

    public string LogPath { get; }

    public static AccessLogConfig FileLog(string path, string? text = null, IEnumerable<KeyValuePair<string, string>>? json = null) => new()
    {
        Name = "envoy.access_loggers.file",
        TypeUrl = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
        Path = path,
        TextFormat = text,
        JsonFormat = json is null ? null : new EquatableDictionary<string>(json),
    };

    public static TcpProxyConfig WithLog(TcpProxyConfig tcp, AccessLogConfig log, AccessLogOptionsConfig? options = null) =>
        tcp with { AccessLog = [log], AccessLogOptions = options };

    /// <summary>The complete lines of <paramref name="path"/> (empty when it does not exist).</summary>
    public static string[] ReadLines(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = reader.ReadToEnd();
        var end = text.LastIndexOf('\n');
        return end < 0 ? [] : text[..end].Split('\n');
    }

    /// <summary>Polls <paramref name="path"/> until it holds at least <paramref name="count"/> lines.</summary>
    public static async Task<string[]> WaitForLinesAsync(string path, int count, TimeSpan? timeout = null)
    {
        string[] lines = [];
        await Wait.UntilAsync(() => (lines = ReadLines(path)).Length >= count, timeout ?? TimeSpan.FromSeconds(10), $"{count} line(s) in {path}");
        return lines;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
