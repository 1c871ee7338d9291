using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Kubegate.Testing;

/// <summary>
/// <c>default/kubernetes</c> as kube-apiserver serves it: <c>discovery.k8s.io/v1</c> EndpointSlices and the v1
/// Endpoints object, list and watch (one JSON event per line, each with the object's resourceVersion), from the
/// shared <see cref="ApiServerEndpointStore"/>. A watch from a compacted resourceVersion gets what the apiserver's
/// watch cache sends then: status 200 and one ERROR event holding a 410 <c>Expired</c> Status
/// ("too old resource version"), then the end of the stream.
/// </summary>
public sealed partial class FakeApiServer
{
    private const string EndpointSlicesPath = "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices";
    private const string EndpointsPath = "/api/v1/namespaces/default/endpoints";

    private ApiServerEndpointStore? _ownEndpoints;

    /// <summary>The store this server serves <c>default/kubernetes</c> from (its own endpoint alone unless the options gave a shared one).</summary>
    public ApiServerEndpointStore ApiServerEndpoints =>
        _options.ApiServerEndpoints ?? LazyInitializer.EnsureInitialized(ref _ownEndpoints, () => new ApiServerEndpointStore(EndPoint));

    private Task EndpointsOfKubernetesAsync(HttpContext context, bool slices)
    {
        if (slices && !_options.ServeEndpointSlices)
        {
            return WriteStatusAsync(context, 404, "NotFound", "the server could not find the requested resource");
        }

        return IsWatch(context.Request) ? WatchKubernetesEndpointsAsync(context, slices) : ListKubernetesEndpointsAsync(context, slices);
    }

    private Task ListKubernetesEndpointsAsync(HttpContext context, bool slices)
    {
        var (resourceVersion, endpoints) = ApiServerEndpoints.Current;
        var body = KubeJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("kind", slices ? "EndpointSliceList" : "EndpointsList");
            w.WriteString("apiVersion", slices ? "discovery.k8s.io/v1" : "v1");
            w.WriteStartObject("metadata");
            w.WriteString("resourceVersion", resourceVersion.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteStartArray("items");
            foreach (var item in Objects(endpoints, slices))
            {
                item.Value(w, resourceVersion);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
        return WriteJsonAsync(context, 200, body);
    }

    private async Task WatchKubernetesEndpointsAsync(HttpContext context, bool slices)
    {
        var since = context.Request.Query.TryGetValue("resourceVersion", out var rv) && long.TryParse(rv.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        var token = linked.Token;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.Body.FlushAsync(token).ConfigureAwait(false);

        var store = ApiServerEndpoints;
        IReadOnlyList<IPEndPoint>? previous = null;
        long position;
        if (since == 0)
        {
            // No resourceVersion: the current state as ADDED events, then the changes.
            var (current, endpoints) = store.Current;
            foreach (var item in Objects(endpoints, slices))
            {
                await WriteEventAsync("ADDED", item.Value, current).ConfigureAwait(false);
            }

            previous = endpoints;
            position = current;
        }
        else
        {
            position = since;
        }

        while (!token.IsCancellationRequested)
        {
            var (states, changed, compacted) = store.Since(position);
            if (states is null)
            {
                await WriteExpiredAsync(position).ConfigureAwait(false);
                return;
            }

            foreach (var (version, endpoints) in states)
            {
                if (previous is null)
                {
                    // The state the client already has (the one at its resourceVersion).
                    previous = endpoints;
                    position = version;
                    continue;
                }

                if (version <= position)
                {
                    continue;
                }

                var before = Objects(previous, slices);
                var after = Objects(endpoints, slices);
                foreach (var (name, write) in before)
                {
                    if (!after.ContainsKey(name))
                    {
                        await WriteEventAsync("DELETED", write, version).ConfigureAwait(false);
                    }
                }

                foreach (var (name, write) in after)
                {
                    await WriteEventAsync(before.ContainsKey(name) ? "MODIFIED" : "ADDED", write, version).ConfigureAwait(false);
                }

                previous = endpoints;
                position = version;
            }

            using var compaction = CancellationTokenSource.CreateLinkedTokenSource(token, compacted);
            try
            {
                await changed.WaitAsync(compaction.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (compacted.IsCancellationRequested && !token.IsCancellationRequested)
            {
                await WriteExpiredAsync(position).ConfigureAwait(false);
                return;
            }
        }

        async Task WriteEventAsync(string type, Action<Utf8JsonWriter, long> write, long version)
        {
            var line = KubeJson.Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WritePropertyName("object");
                write(w, version);
                w.WriteEndObject();
            });
            await context.Response.Body.WriteAsync(line, token).ConfigureAwait(false);
            await context.Response.Body.WriteAsync(NewLine, token).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(token).ConfigureAwait(false);
        }

        Task WriteExpiredAsync(long version) =>
            WriteEventAsync("ERROR", (w, _) => KubeJson.Status(w, 410, "Expired", $"too old resource version: {version} ({store.ResourceVersion})"), 0);
    }

    /// <summary>
    /// The objects for <paramref name="endpoints"/> by name: one EndpointSlice per port (a real cluster has one,
    /// <c>kubernetes</c>, as all its apiservers share a port; test apiservers on one address need one port each), or
    /// the one Endpoints object with a subset per port.
    /// </summary>
    private static Dictionary<string, Action<Utf8JsonWriter, long>> Objects(IReadOnlyList<IPEndPoint> endpoints, bool slices)
    {
        var byPort = endpoints.GroupBy(e => e.Port).OrderBy(g => g.Key).ToList();
        var result = new Dictionary<string, Action<Utf8JsonWriter, long>>(StringComparer.Ordinal);
        if (!slices)
        {
            result["kubernetes"] = (w, version) =>
            {
                w.WriteStartObject();
                w.WriteString("kind", "Endpoints");
                w.WriteString("apiVersion", "v1");
                Metadata(w, "kubernetes", version);
                w.WriteStartArray("subsets");
                foreach (var group in byPort)
                {
                    w.WriteStartObject();
                    w.WriteStartArray("addresses");
                    foreach (var endpoint in group)
                    {
                        w.WriteStartObject();
                        w.WriteString("ip", endpoint.Address.ToString());
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                    Ports(w, group.Key);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            };
            return result;
        }

        if (byPort.Count == 0)
        {
            // The apiservers all gone: the slice stays, with no endpoints.
            result["kubernetes"] = (w, version) => Slice(w, "kubernetes", version, [], 6443);
        }

        foreach (var group in byPort)
        {
            var name = byPort.Count == 1 ? "kubernetes" : "kubernetes-" + group.Key.ToString(CultureInfo.InvariantCulture);
            var members = group.ToList();
            result[name] = (w, version) => Slice(w, name, version, members, group.Key);
        }

        return result;

        static void Slice(Utf8JsonWriter w, string name, long version, List<IPEndPoint> members, int port)
        {
            w.WriteStartObject();
            w.WriteString("kind", "EndpointSlice");
            w.WriteString("apiVersion", "discovery.k8s.io/v1");
            Metadata(w, name, version, sliceLabel: true);
            w.WriteString("addressType", members.Count > 0 && members[0].Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4");
            w.WriteStartArray("endpoints");
            foreach (var endpoint in members)
            {
                w.WriteStartObject();
                w.WriteStartArray("addresses");
                w.WriteStringValue(endpoint.Address.ToString());
                w.WriteEndArray();
                w.WriteStartObject("conditions");
                w.WriteBoolean("ready", true);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            Ports(w, port);
            w.WriteEndObject();
        }

        static void Metadata(Utf8JsonWriter w, string name, long version, bool sliceLabel = false)
        {
            w.WriteStartObject("metadata");
            w.WriteString("name", name);
            w.WriteString("namespace", "default");
            w.WriteString("resourceVersion", version.ToString(CultureInfo.InvariantCulture));
            w.WriteStartObject("labels");
            if (sliceLabel)
            {
                w.WriteString("kubernetes.io/service-name", "kubernetes");
                w.WriteString("endpointslice.kubernetes.io/managed-by", "endpointslicemirroring-controller.k8s.io");
            }
            else
            {
                w.WriteString("endpointslice.kubernetes.io/skip-mirror", "true");
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        static void Ports(Utf8JsonWriter w, int port)
        {
            w.WriteStartArray("ports");
            w.WriteStartObject();
            w.WriteString("name", "https");
            w.WriteNumber("port", port);
            w.WriteString("protocol", "TCP");
            w.WriteEndObject();
            w.WriteEndArray();
        }
    }
}
