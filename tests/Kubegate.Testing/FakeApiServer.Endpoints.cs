using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace Kubegate.Testing;

public sealed partial class FakeApiServer
{
    private const string NamespacesPath = "/api/v1/namespaces";
    private static readonly byte[] Ok = "ok"u8.ToArray();
    private static readonly byte[] ReadyzShuttingDown = "[+]ping ok\n[+]log ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n"u8.ToArray();
    private static readonly byte[] ReadyzFailure = Encoding.UTF8.GetBytes(
        "[+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[+]informer-sync ok\n[+]poststarthook/start-apiserver-admission-initializer ok\nreadyz check failed\n");

    private async Task HandleRequestAsync(HttpContext context)
    {
        var state = new RequestState(this, context);
        context.Response.Headers["X-Test-Instance"] = Name;
        context.Response.Headers["X-Test-Client-Subject"] = state.ClientSubject ?? string.Empty;
        context.Response.OnStarting(static s =>
        {
            var state = (RequestState)s;
            state.Report(state.Context.Response.StatusCode);
            return Task.CompletedTask;
        }, state);

        try
        {
            await DispatchAsync(state).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            // The client went away, or the server is stopping: nothing more to send.
        }
        finally
        {
            if (state.Aborted || (!context.Response.HasStarted && context.RequestAborted.IsCancellationRequested))
            {
                state.Report(0);
            }

            _requests.Increment();
        }
    }

    private Task DispatchAsync(RequestState state)
    {
        var context = state.Context;
        var path = context.Request.Path.Value is { Length: > 1 } value ? value.TrimEnd('/') : "/";
        if (_clientCertificateAuthority is not null && (state.HasUntrustedCertificate || (state.ClientSubject is null && !IsAnonymousPath(path))))
        {
            // kube-apiserver: a certificate that fails verification is an authentication error, 401 on every path;
            // no certificate is the anonymous user, who may only read the health and version endpoints.
            return WriteStatusAsync(context, 401, "Unauthorized", "Unauthorized");
        }

        if (!HttpMethods.IsGet(context.Request.Method))
        {
            return WriteStatusAsync(context, 405, "MethodNotAllowed", $"the server does not allow this method on the requested resource");
        }

        switch (path)
        {
            case "/livez" when !LivezOk:
                return WriteBytesAsync(context, 500, "text/plain; charset=utf-8", "[-]ping failed: reason withheld\nlivez check failed\n"u8.ToArray());
            case "/healthz" or "/livez":
                return WriteBytesAsync(context, 200, "text/plain; charset=utf-8", Ok);
            case "/readyz":
                return ReadyzAsync(state);
            case "/version":
                return WriteJsonAsync(context, 200, KubeJson.Write(KubeJson.Version));
            case "/api":
                return WriteJsonAsync(context, 200, KubeJson.Write(w => KubeJson.ApiVersions(w, EndPoint.ToString())));
            case "/apis":
                return WriteJsonAsync(context, 200, KubeJson.Write(KubeJson.ApiGroupList));
            case "/api/v1":
                return WriteJsonAsync(context, 200, KubeJson.Write(KubeJson.CoreV1Resources));
            case NamespacesPath:
                return IsWatch(context.Request) ? WatchNamespacesAsync(context) : ListNamespacesAsync(context);
            case "/debug/whoami":
                return WhoAmIAsync(state);
            case EndpointSlicesPath:
                return EndpointsOfKubernetesAsync(context, slices: true);
            case EndpointsPath:
                return EndpointsOfKubernetesAsync(context, slices: false);
        }

        if (path.StartsWith(NamespacesPath + "/", StringComparison.Ordinal) && path.IndexOf('/', NamespacesPath.Length + 1) < 0)
        {
            return GetNamespaceAsync(context, path[(NamespacesPath.Length + 1)..]);
        }

        return WriteStatusAsync(context, 404, "NotFound", "the server could not find the requested resource");
    }

    private static bool IsAnonymousPath(string path) =>
        path is "/healthz" or "/livez" or "/readyz" or "/version"
        || path.StartsWith("/healthz/", StringComparison.Ordinal)
        || path.StartsWith("/livez/", StringComparison.Ordinal)
        || path.StartsWith("/readyz/", StringComparison.Ordinal);

    // kube's query-parameter conversion: any value but "false" and "0" is true (so watch=true, watch=1, watch=yes).
    private static bool IsWatch(HttpRequest request) =>
        request.Query.TryGetValue("watch", out var watch) && watch.ToString() is not ("" or "0" or "false" or "False");

    private static bool WantsTable(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("as=Table", StringComparison.Ordinal);

    private static string IncludeObject(HttpRequest request) =>
        request.Query.TryGetValue("includeObject", out var value) && value.ToString() is { Length: > 0 } mode ? mode : "Metadata";

    private async Task ReadyzAsync(RequestState state)
    {
        var context = state.Context;
        switch (ReadyzMode)
        {
            case ReadyzMode.ShuttingDown:
                await WriteBytesAsync(context, 503, "text/plain; charset=utf-8", ReadyzShuttingDown).ConfigureAwait(false);
                break;
            case ReadyzMode.Fail500:
                await WriteBytesAsync(context, 500, "text/plain; charset=utf-8", ReadyzFailure).ConfigureAwait(false);
                break;
            case ReadyzMode.Slow:
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token))
                {
                    await Task.Delay(SlowReadyzDelay, linked.Token).ConfigureAwait(false);
                }

                await WriteBytesAsync(context, 200, "text/plain; charset=utf-8", Ok).ConfigureAwait(false);
                break;
            case ReadyzMode.CloseConnection:
                state.Aborted = true;

                // The whole connection, as a crashing apiserver would; HttpContext.Abort() alone would only reset the
                // stream under HTTP/2.
                if (_openConnections.TryGetValue(context.Connection.Id, out var connection))
                {
                    connection.Connection.Abort(new ConnectionAbortedException($"{Name}: /readyz in CloseConnection mode."));
                }

                context.Abort();
                break;
            default:
                await WriteBytesAsync(context, 200, "text/plain; charset=utf-8", Ok).ConfigureAwait(false);
                break;
        }
    }

    private Task ListNamespacesAsync(HttpContext context)
    {
        var (namespaces, resourceVersion) = SnapshotNamespaces();
        var body = WantsTable(context.Request)
            ? KubeJson.Write(w => KubeJson.Table(w, namespaces, resourceVersion, DateTimeOffset.UtcNow, IncludeObject(context.Request)))
            : KubeJson.Write(w => KubeJson.NamespaceList(w, namespaces, resourceVersion));
        return WriteJsonAsync(context, 200, body);
    }

    private Task GetNamespaceAsync(HttpContext context, string name)
    {
        if (FindNamespace(name) is not { } ns)
        {
            return WriteStatusAsync(context, 404, "NotFound", $"namespaces \"{name}\" not found", name, "namespaces");
        }

        var body = WantsTable(context.Request)
            ? KubeJson.Write(w => KubeJson.Table(w, [ns], ns.ResourceVersion, DateTimeOffset.UtcNow, IncludeObject(context.Request)))
            : KubeJson.Write(w => KubeJson.Namespace(w, ns));
        return WriteJsonAsync(context, 200, body);
    }

    private Task WhoAmIAsync(RequestState state)
    {
        var connection = state.Context.Connection;
        var body = KubeJson.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("instance", Name);
            w.WriteString("clientSubject", state.ClientSubject);
            w.WriteString("protocol", state.Context.Request.Protocol);
            w.WriteString("remote", connection.RemoteIpAddress is { } remote ? new IPEndPoint(remote, connection.RemotePort).ToString() : null);
            w.WriteString("local", connection.LocalIpAddress is { } local ? new IPEndPoint(local, connection.LocalPort).ToString() : null);
            w.WriteString("connectionId", connection.Id);
            w.WriteEndObject();
        });
        return WriteJsonAsync(state.Context, 200, body);
    }

    private static Task WriteStatusAsync(HttpContext context, int code, string reason, string message, string? name = null, string? kind = null) =>
        WriteJsonAsync(context, code, KubeJson.Write(w => KubeJson.Status(w, code, reason, message, name, kind)));

    private static Task WriteJsonAsync(HttpContext context, int status, byte[] body) =>
        WriteBytesAsync(context, status, "application/json", body);

    private static Task WriteBytesAsync(HttpContext context, int status, string contentType, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    /// <summary>Per-request bits the OnStarting callback and the finally block share.</summary>
    private sealed class RequestState(FakeApiServer server, HttpContext context)
    {
        private readonly ConnectionState? _connection = server._openConnections.GetValueOrDefault(context.Connection.Id);
        private int _reported;

        public HttpContext Context { get; } = context;

        /// <summary>The trusted client certificate's subject; null for anonymous requests and untrusted certificates.</summary>
        public string? ClientSubject => _connection?.TrustedSubject;

        public bool HasUntrustedCertificate => _connection?.HasUntrustedCertificate ?? false;

        public bool Aborted { get; set; }

        public void Report(int statusCode)
        {
            if (Interlocked.Exchange(ref _reported, 1) == 0)
            {
                var request = Context.Request;
                server.Report(new FakeApiServerRequest(
                    server.Name,
                    request.Method,
                    request.Path.Value + request.QueryString.Value,
                    statusCode,
                    ClientSubject,
                    request.Protocol,
                    request.Headers.Accept.Count == 0 ? null : request.Headers.Accept.ToString()));
            }
        }
    }
}
