using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace Kubegate.Testing;

public sealed partial class FakeApiServer
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    /// <summary>
    /// <c>GET /api/v1/namespaces?watch=true</c>: one JSON watch event per line, each flushed at once (its own chunk
    /// under HTTP/1.1, its own DATA frame under HTTP/2). First ADDED for every namespace newer than the request's
    /// <c>resourceVersion</c> (all of them without one), then namespace changes as they happen, and every
    /// <see cref="WatchEventInterval"/> a MODIFIED of <c>default</c> whose <see cref="WatchTickAnnotation"/> and
    /// resourceVersion count up, until <see cref="WatchEventCount"/> events were sent, the client leaves or the
    /// server stops.
    /// </summary>
    private async Task WatchNamespacesAsync(HttpContext context)
    {
        var request = context.Request;
        var table = WantsTable(request);
        var includeObject = IncludeObject(request);
        var interval = WatchEventInterval;
        var limit = WatchEventCount;
        var since = request.Query.TryGetValue("resourceVersion", out var rv) && long.TryParse(rv.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;

        var subscription = Channel.CreateUnbounded<(string Type, NamespaceRecord Namespace)>(new UnboundedChannelOptions { SingleReader = true });
        _watchers.TryAdd(subscription, 0);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var token = linked.Token;
        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";

            // Send the headers now: clients (client-go's watch) return from the request only once they have them.
            await context.Response.Body.FlushAsync(token).ConfigureAwait(false);

            var sent = 0;
            var (namespaces, snapshotVersion) = SnapshotNamespaces();
            foreach (var ns in namespaces)
            {
                if (limit is { } max && sent >= max)
                {
                    return;
                }

                if (ns.ResourceVersion > since)
                {
                    await WriteEventAsync("ADDED", ns, tick: null).ConfigureAwait(false);
                    sent++;
                }
            }

            var reader = subscription.Reader;
            var readable = reader.WaitToReadAsync(token).AsTask();
            var nextTick = Task.Delay(interval, token);
            long ticks = 0;
            while (limit is not { } count || sent < count)
            {
                var ready = await Task.WhenAny(readable, nextTick).ConfigureAwait(false);
                if (ready == readable)
                {
                    if (!await readable.ConfigureAwait(false))
                    {
                        return;
                    }

                    while ((limit is not { } max || sent < max) && reader.TryRead(out var change))
                    {
                        // Changes that happened before the snapshot are in it already.
                        if (change.Namespace.ResourceVersion > snapshotVersion)
                        {
                            await WriteEventAsync(change.Type, change.Namespace, tick: null).ConfigureAwait(false);
                            sent++;
                        }
                    }

                    readable = reader.WaitToReadAsync(token).AsTask();
                }
                else
                {
                    await nextTick.ConfigureAwait(false);
                    ticks++;
                    var basis = FindNamespace("default") ?? new NamespaceRecord("default", Guid.Empty.ToString(), 0, WholeSecondsNow());
                    await WriteEventAsync("MODIFIED", basis with { ResourceVersion = NextResourceVersion() }, ticks).ConfigureAwait(false);
                    sent++;
                    nextTick = Task.Delay(interval, token);
                }
            }
        }
        finally
        {
            _watchers.TryRemove(subscription, out _);
        }

        async Task WriteEventAsync(string type, NamespaceRecord ns, long? tick)
        {
            var line = KubeJson.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WritePropertyName("object");
                if (table)
                {
                    KubeJson.Table(w, [ns], ns.ResourceVersion, DateTimeOffset.UtcNow, includeObject, includeColumns: true, tick);
                }
                else
                {
                    KubeJson.Namespace(w, ns, tick);
                }

                w.WriteEndObject();
            });
            await context.Response.Body.WriteAsync(line, token).ConfigureAwait(false);
            await context.Response.Body.WriteAsync(NewLine, token).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(token).ConfigureAwait(false);
        }
    }
}
