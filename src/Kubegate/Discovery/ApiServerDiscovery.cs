using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using Kubegate.Configuration;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Discovery;

/// <summary>
/// One cluster's apiserver discovery: lists and watches <c>default/kubernetes</c> (EndpointSlices, or the v1
/// Endpoints object where the API has no EndpointSlices) through a kubegate listener of that cluster, so it works as
/// long as any apiserver in the current list answers, and turns each accepted change into the cluster's EDS file.
/// The existing file reload applies it; the file is the last known good list for the next start.
/// </summary>
/// <remarks>
/// client-go's reflector, reduced to one object kind: list, then watch from the list's resourceVersion; a watch that
/// ends is resumed from the last resourceVersion seen (bookmarks included); 410 Gone (as an HTTP status or as an
/// ERROR event) means that version is compacted away, so list again. Failures back off exponentially with jitter.
/// </remarks>
internal sealed partial class ApiServerDiscovery : IAsyncDisposable
{
    private const string SlicesPath = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes";
    private const string EndpointsPath = "/api/v1/namespaces/default/endpoints?fieldSelector=metadata.name%3Dkubernetes";
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReachabilityTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SettleWindow = TimeSpan.FromMilliseconds(100);

    private readonly ClusterConfig _cluster;
    private readonly DiscoveryConfig _config;
    private readonly string _edsPath;
    private readonly Func<IPEndPoint?> _listener;
    private readonly ILogger _logger;
    private readonly Counter _updateSuccess;
    private readonly Counter _updateRejected;
    private readonly Counter _requestFailure;
    private readonly Counter _relist;
    private readonly Gauge _endpointsGauge;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, KubeObject> _objects = new(StringComparer.Ordinal);
    private Task _run = Task.CompletedTask;
    private volatile DiscoveryStatus _status;
    private bool _endpointsApi;
    private bool _progressed;

    /// <param name="cluster">An EDS cluster with <see cref="ClusterConfig.Discovery"/> set.</param>
    /// <param name="listener">The address of the listener to reach the apiservers through, resolved at each connect (null: not bound).</param>
    public ApiServerDiscovery(ClusterConfig cluster, Func<IPEndPoint?> listener, StatsStore stats, ILogger logger)
    {
        _cluster = cluster;
        _config = cluster.Discovery ?? throw new ArgumentException("the cluster has no discovery", nameof(cluster));
        _edsPath = cluster.EdsConfig?.FullPath ?? throw new ArgumentException("the cluster has no EDS file", nameof(cluster));
        _listener = listener;
        _logger = logger;
        var prefix = "discovery." + cluster.ObservabilityName + ".";
        _updateSuccess = stats.Counter(prefix + "update_success");
        _updateRejected = stats.Counter(prefix + "update_rejected");
        _requestFailure = stats.Counter(prefix + "request_failure");
        _relist = stats.Counter(prefix + "relist");
        _endpointsGauge = stats.Gauge(prefix + "endpoints");
        _status = new DiscoveryStatus(cluster.Name, 0, null, null);
    }

    public ClusterConfig Cluster => _cluster;

    public DiscoveryStatus Status => _status;

    public void Start(string listenerName)
    {
        Log.Started(_logger, _cluster.Name, listenerName, _config.ServerName, _edsPath);
        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        string? resourceVersion = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var credentials = ApiServerCredentials.Load(_config);
                using var client = CreateClient(credentials);
                if (resourceVersion is null)
                {
                    resourceVersion = await ListAsync(client, cancellationToken).ConfigureAwait(false);
                    _progressed = true;
                    await PublishAsync(resourceVersion, cancellationToken).ConfigureAwait(false);
                }

                // Watch, resuming from the last version seen, until the watch fails or its version expires.
                while (resourceVersion is not null)
                {
                    var started = Stopwatch.GetTimestamp();
                    var (next, expired, events) = await WatchAsync(client, resourceVersion, cancellationToken).ConfigureAwait(false);
                    if (expired)
                    {
                        _relist.Increment();
                        Log.Relist(_logger, _cluster.Name, resourceVersion);
                        resourceVersion = null;
                        break;
                    }

                    resourceVersion = next;
                    if (events == 0 && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(1))
                    {
                        // A watch that ends at once without a single event is a failing server, not a timeout.
                        throw new HttpRequestException("the watch ended at once");
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Whatever failed (network, TLS, an odd answer, a credentials file caught mid-rotation), discovery
                // must not stop: the file keeps the last good list, and the next attempt may succeed. The backoff
                // starts over after an attempt that got somewhere (a list, a watch event), and grows otherwise.
                failures = _progressed ? 1 : failures + 1;
                _progressed = false;
                _requestFailure.Increment();
                var delay = Backoff(failures);
                var reason = Describe(ex);
                _status = _status with { Problem = "cannot read default/kubernetes: " + reason };
                Log.RequestFailed(_logger, _cluster.Name, reason, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Exponential from 250 ms to 30 s, each delay drawn from its upper half, so restarted kubegates spread out.</summary>
    internal static TimeSpan Backoff(int failures)
    {
        var ceiling = Math.Min(MaxBackoff.TotalMilliseconds, MinBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + (Random.Shared.NextDouble() * ceiling / 2));
    }

    private static string Describe(Exception ex)
    {
        var message = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            message += ": " + inner.Message;
        }

        return message;
    }

    private HttpClient CreateClient(ApiServerCredentials credentials)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _cluster.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = ConnectThroughListenerAsync,
            SslOptions = new SslClientAuthenticationOptions
            {
                TargetHost = _config.ServerName,
                ClientCertificateContext = credentials.ClientContext,
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => credentials.Verify(certificate, chain, errors),
            },
        };
        var client = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = new Uri("https://" + _config.ServerName + "/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        client.DefaultRequestHeaders.UserAgent.ParseAdd("kubegate-discovery");
        if (credentials.Token is { } token)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    private async ValueTask<Stream> ConnectThroughListenerAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endPoint = _listener() ?? throw new HttpRequestException("the listener is not bound");
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<string> ListAsync(HttpClient client, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var response = await client.GetAsync(_endpointsApi ? EndpointsPath : SlicesPath, timeout.Token).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound && !_endpointsApi)
        {
            // No discovery.k8s.io/v1 (before Kubernetes 1.21): the v1 Endpoints object carries the same addresses.
            _endpointsApi = true;
            return await ListAsync(client, cancellationToken).ConfigureAwait(false);
        }

        await EnsureSuccessAsync(response, timeout.Token).ConfigureAwait(false);
        var list = await response.Content.ReadFromJsonAsync(KubeJsonContext.Default.KubeList, timeout.Token).ConfigureAwait(false)
            ?? throw new JsonException("the list response is empty");
        _objects.Clear();
        foreach (var item in list.Items ?? [])
        {
            _objects[item.Metadata?.Name ?? string.Empty] = item;
        }

        return list.Metadata?.ResourceVersion ?? throw new JsonException("the list has no metadata.resourceVersion");
    }

    private async Task<(string ResourceVersion, bool Expired, int Events)> WatchAsync(HttpClient client, string resourceVersion, CancellationToken cancellationToken)
    {
        var path = (_endpointsApi ? EndpointsPath : SlicesPath) + "&watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=" + Uri.EscapeDataString(resourceVersion);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Gone)
        {
            return (resourceVersion, true, 0);
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var pumping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var pump = PumpLinesAsync(stream, lines.Writer, pumping.Token);
        var events = 0;
        try
        {
            while (await lines.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Apply every event that arrives within the settle window, then publish once: one change of the
                // apiserver set can take several events (a slice deleted and another added), and the list between
                // them is not one the cluster ever had.
                var changed = false;
                do
                {
                    while (lines.Reader.TryRead(out var line))
                    {
                        if (line.Length == 0)
                        {
                            continue;
                        }

                        events++;
                        _progressed = true;
                        switch (Apply(line, ref resourceVersion))
                        {
                            case WatchStep.Expired:
                                return (resourceVersion, true, events);
                            case WatchStep.Changed:
                                changed = true;
                                break;
                        }
                    }
                }
                while (await MoreWithinAsync(lines.Reader, SettleWindow, cancellationToken).ConfigureAwait(false));

                if (changed)
                {
                    await PublishAsync(resourceVersion, cancellationToken).ConfigureAwait(false);
                }
            }

            return (resourceVersion, false, events);
        }
        finally
        {
            await pumping.CancelAsync().ConfigureAwait(false);
            try
            {
                await pump.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // The watch is being left; its stream's end does not matter.
            }
        }
    }

    private enum WatchStep
    {
        Unchanged,
        Changed,
        Expired,
    }

    /// <summary>Applies one watch event to the objects; a BOOKMARK only moves the resourceVersion.</summary>
    private WatchStep Apply(string line, ref string resourceVersion)
    {
        var change = JsonSerializer.Deserialize(line, KubeJsonContext.Default.KubeWatchEvent) ?? throw new JsonException("an empty watch event");
        var item = change.Object ?? throw new JsonException($"a {change.Type} watch event without an object");
        switch (change.Type)
        {
            case "ERROR":
                if (item.Code == 410)
                {
                    return WatchStep.Expired;
                }

                throw new HttpRequestException($"watch error {item.Code}: {item.Message}");
            case "BOOKMARK":
                resourceVersion = item.Metadata?.ResourceVersion ?? resourceVersion;
                return WatchStep.Unchanged;
            case "ADDED" or "MODIFIED":
                _objects[item.Metadata?.Name ?? string.Empty] = item;
                break;
            case "DELETED":
                _objects.Remove(item.Metadata?.Name ?? string.Empty);
                break;
            default:
                throw new JsonException($"unknown watch event type '{change.Type}'");
        }

        resourceVersion = item.Metadata?.ResourceVersion ?? resourceVersion;
        return WatchStep.Changed;
    }

    private static async Task PumpLinesAsync(Stream stream, ChannelWriter<string> writer, CancellationToken cancellationToken)
    {
        try
        {
            using var reader = new StreamReader(stream, leaveOpen: true);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                writer.TryWrite(line);
            }

            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
            throw;
        }
    }

    /// <summary>True when more is readable within <paramref name="window"/>; false when not, or when the stream ended.</summary>
    private static async Task<bool> MoreWithinAsync(ChannelReader<string> reader, TimeSpan window, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(window);
        try
        {
            return await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        throw new HttpRequestException($"{(int)response.StatusCode} {response.ReasonPhrase}: {(body.Length > 200 ? body[..200] : body)}");
    }

    /// <summary>Checks the current list and writes the EDS file when it is acceptable and differs from the file.</summary>
    private async Task PublishAsync(string resourceVersion, CancellationToken cancellationToken)
    {
        var source = (_endpointsApi ? "the default/kubernetes Endpoints" : "the default/kubernetes EndpointSlices") + " at resourceVersion " + resourceVersion;
        var endpoints = ApiServerEndpoints.From(_objects.Values);
        if (endpoints.Count == 0)
        {
            Refuse($"{source} list no ready apiserver");
            return;
        }

        var reachable = await AnyReachableAsync(endpoints, cancellationToken).ConfigureAwait(false);
        if (!reachable)
        {
            Refuse($"none of {string.Join(", ", endpoints)} ({source}) accepts a connection");
            return;
        }

        var content = EdsFileWriter.Render(_cluster.ExpectedEdsClusterName, endpoints, "the cluster's default/kubernetes " + (_endpointsApi ? "Endpoints" : "EndpointSlices"));
        _endpointsGauge.Set(endpoints.Count);
        string? current = null;
        try
        {
            current = File.Exists(_edsPath) ? await File.ReadAllTextAsync(_edsPath, cancellationToken).ConfigureAwait(false) : null;
        }
        catch (IOException)
        {
            // Unreadable: write it again.
        }

        if (string.Equals(current, content, StringComparison.Ordinal))
        {
            _status = _status with { EndpointCount = endpoints.Count, Problem = null };
            return;
        }

        try
        {
            EdsFileWriter.WriteAtomic(_edsPath, content);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.WriteFailed(_logger, _cluster.Name, _edsPath, ex.Message);
            _status = _status with { Problem = $"cannot write {_edsPath}: {ex.Message}" };
            return;
        }

        _updateSuccess.Increment();
        _status = new DiscoveryStatus(_cluster.Name, endpoints.Count, DateTimeOffset.UtcNow, null);
        Log.Written(_logger, _cluster.Name, string.Join(", ", endpoints), source, _edsPath);
    }

    private void Refuse(string reason)
    {
        _updateRejected.Increment();
        _status = _status with { Problem = "apiserver list refused: " + reason };
        Log.Refused(_logger, _cluster.Name, _edsPath, reason);
    }

    /// <summary>True when at least one of <paramref name="endpoints"/> accepts a TCP connection within a second (all tried at once).</summary>
    private static async Task<bool> AnyReachableAsync(IReadOnlyList<IPEndPoint> endpoints, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReachabilityTimeout);
        var attempts = endpoints.Select(async endPoint =>
        {
            using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                return false;
            }
        }).ToList();
        var results = await Task.WhenAll(attempts).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return results.Any(r => r);
    }

    public override string ToString() => "discovery of " + _cluster.Name;
}
