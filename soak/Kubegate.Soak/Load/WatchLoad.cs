using System.Globalization;
using System.Net;
using System.Text.Json;
using Kubegate.Soak.Errors;
using Kubegate.Soak.Faults;
using Kubegate.Testing;

namespace Kubegate.Soak.Load;

/// <summary>
/// Watch-like long-lived connections: <c>GET /api/v1/namespaces?watch=true</c> through kubegate's api listener, one TLS
/// connection each (half HTTP/2, half HTTP/1.1 chunked), each living 60-180 s (a real apiserver also ends watches
/// after a while) before the next opens. The apiserver double sends a MODIFIED event a second whose tick annotation
/// counts up; every event must parse and the ticks must arrive in order without a gap or a repeat.
/// </summary>
internal sealed class WatchLoad(ApiTarget target, LoadCounters counters, ErrorLedger errors, HealthFlapWindows flap)
{
    /// <summary>Events come every second; this long without one is a stalled watch.</summary>
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(500);

    public async Task RunAsync(int slot, CancellationToken stop)
    {
        var random = new Random(1000 + slot);
        var version = slot % 2 == 0 ? HttpVersion.Version20 : HttpVersion.Version11;
        while (!stop.IsCancellationRequested)
        {
            using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(stop);
            lifetime.CancelAfter(TimeSpan.FromSeconds(random.Next(60, 181)));
            var failed = await WatchOnceAsync($"watch {slot} (HTTP/{version})", version, lifetime.Token);
            if (failed && !stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(Backoff, stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    /// <summary>One watch until <paramref name="lifetime"/> ends it; true if it failed.</summary>
    private async Task<bool> WatchOnceAsync(string name, Version version, CancellationToken lifetime)
    {
        // A client (and so a connection) of its own per watch, as kubectl's watches each hold one.
        using var client = TestHttpClient.Create(target.Ca, version: version, versionPolicy: HttpVersionPolicy.RequestVersionExact, timeout: Timeout.InfiniteTimeSpan);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        string? instance = null;
        long lastTick = 0;
        try
        {
            deadline.CancelAfter(EventTimeout);
            using var request = new HttpRequestMessage(HttpMethod.Get, target.NamespacesWatch);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            instance = response.Headers.TryGetValues("X-Test-Instance", out var values) ? values.FirstOrDefault() : null;
            if (response.StatusCode != HttpStatusCode.OK || instance is null)
            {
                errors.Record(ErrorSource.Watch, ErrorKind.HttpStatus, $"{name}: {(int)response.StatusCode} from {instance ?? "no apiserver"}", expectedBecause: null);
                return true;
            }

            Interlocked.Increment(ref counters.WatchesOpened);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token));
            while (true)
            {
                deadline.CancelAfter(EventTimeout);
                var line = await reader.ReadLineAsync(deadline.Token);
                if (line is null)
                {
                    errors.Record(ErrorSource.Watch, ErrorKind.Truncated, $"{name} on {instance}: ended by the far side after tick {lastTick}", flap.Explains(instance, DateTime.UtcNow));
                    return true;
                }

                if (!TryReadTick(line, out var tick))
                {
                    errors.Record(ErrorSource.Watch, ErrorKind.ChecksumMismatch, $"{name} on {instance}: unreadable event after tick {lastTick}: {Truncate(line)}", expectedBecause: null);
                    return true;
                }

                if (tick is { } value)
                {
                    if (value != lastTick + 1)
                    {
                        errors.Record(ErrorSource.Watch, ErrorKind.ChecksumMismatch, $"{name} on {instance}: tick {value} after tick {lastTick}", expectedBecause: null);
                        return true;
                    }

                    lastTick = value;
                }

                Interlocked.Increment(ref counters.WatchEvents);
            }
        }
        catch (Exception e) when (lifetime.IsCancellationRequested && e is OperationCanceledException or IOException or HttpRequestException)
        {
            // The watch's life (or the run) is over: the client cancelled, which may surface as any of these.
            Interlocked.Increment(ref counters.WatchesCompleted);
            return false;
        }
        catch (Exception e)
        {
            // An OperationCanceledException here is the deadline alone: no event (or no answer) for EventTimeout.
            var kind = e is OperationCanceledException ? ErrorKind.Timeout : ErrorClassifier.Classify(e);
            var expected = kind is ErrorKind.Reset or ErrorKind.Truncated ? flap.Explains(instance, DateTime.UtcNow) : null;
            errors.Record(ErrorSource.Watch, kind, $"{name} on {instance ?? "apiserver unknown"} after tick {lastTick}: {ErrorClassifier.Describe(e)}", expected);
            return true;
        }
    }

    /// <summary>Parses one watch event; <paramref name="tick"/> is its tick annotation, or null for an event without one (the initial ADDED ones).</summary>
    private static bool TryReadTick(string line, out long? tick)
    {
        tick = null;
        try
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (!root.TryGetProperty("type", out var type) || type.GetString() is not ("ADDED" or "MODIFIED" or "DELETED")
                || !root.TryGetProperty("object", out var item) || !item.TryGetProperty("metadata", out var metadata))
            {
                return false;
            }

            if (metadata.TryGetProperty("annotations", out var annotations)
                && annotations.TryGetProperty(FakeApiServer.WatchTickAnnotation, out var value))
            {
                tick = long.Parse(value.GetString()!, NumberStyles.None, CultureInfo.InvariantCulture);
            }

            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string Truncate(string line) => line.Length <= 80 ? line : line[..80] + "...";
}
