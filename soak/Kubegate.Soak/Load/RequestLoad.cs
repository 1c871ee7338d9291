using System.Net;
using Kubegate.Soak.Errors;
using Kubegate.Soak.Faults;
using Kubegate.Testing;

namespace Kubegate.Soak.Load;

/// <summary>
/// Request loops through kubegate's api listener: <c>GET /api/v1/namespaces</c>, each answer checked (200, the
/// apiserver's <c>X-Test-Instance</c> header, a NamespaceList body). One kind opens a new TCP connection and TLS
/// handshake per request (<c>Connection: close</c>); the other keeps one connection alive (HTTP/1.1 or HTTP/2).
/// </summary>
internal sealed class RequestLoad(ApiTarget target, LoadCounters counters, ErrorLedger errors, HealthFlapWindows flap)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    public Task RunNewConnectionsAsync(int slot, TimeSpan pace, CancellationToken stop) =>
        RunAsync(slot, HttpVersion.Version11, newConnectionEach: true, pace, stop);

    public Task RunKeepAliveAsync(int slot, Version version, TimeSpan pace, CancellationToken stop) =>
        RunAsync(slot, version, newConnectionEach: false, pace, stop);

    private async Task RunAsync(int slot, Version version, bool newConnectionEach, TimeSpan pace, CancellationToken stop)
    {
        using var client = TestHttpClient.Create(target.Ca, version: version, versionPolicy: HttpVersionPolicy.RequestVersionExact, timeout: RequestTimeout);
        client.DefaultRequestHeaders.ConnectionClose = newConnectionEach;
        var name = $"{(newConnectionEach ? "new-connection" : "keep-alive")} HTTP/{version} loop {slot}";
        using var timer = new PeriodicTimer(pace);

        // The apiserver the kept-alive connection last reached: an error on it is the flap's if that is the flapping one.
        string? lastInstance = null;
        do
        {
            try
            {
                using var response = await client.GetAsync(target.Namespaces, stop);
                var body = await response.Content.ReadAsStringAsync(stop);
                var instance = response.Headers.TryGetValues("X-Test-Instance", out var values) ? values.FirstOrDefault() : null;
                if (response.StatusCode != HttpStatusCode.OK || instance is null || !body.Contains("\"NamespaceList\"", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref counters.FailedRequests);
                    errors.Record(ErrorSource.Request, ErrorKind.HttpStatus, $"{name}: {(int)response.StatusCode} from {instance ?? "no apiserver"}, {body.Length} bytes", expectedBecause: null);
                    continue;
                }

                lastInstance = newConnectionEach ? null : instance;
                Interlocked.Increment(ref newConnectionEach ? ref counters.NewConnectionRequests : ref counters.KeepAliveRequests);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // HttpRequestException, IOException and timeouts mostly; anything else is counted too rather than
                // ending the loop.
                Interlocked.Increment(ref counters.FailedRequests);
                var kind = ErrorClassifier.Classify(e);
                var expected = kind is ErrorKind.Reset or ErrorKind.Truncated ? flap.Explains(lastInstance, DateTime.UtcNow) : null;
                errors.Record(ErrorSource.Request, kind, $"{name}: {ErrorClassifier.Describe(e)}", expected);
                lastInstance = null;
            }
        }
        while (await TickAsync(timer, stop));
    }

    private static async Task<bool> TickAsync(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
