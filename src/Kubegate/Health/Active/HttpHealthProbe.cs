using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Kubegate.Clusters;
using Kubegate.Configuration;

namespace Kubegate.Health.Active;

/// <summary>
/// <c>http_health_check</c> of one host: an HTTP/1.1 or HTTP/2 request (e.g. <c>GET /readyz</c>), over TLS when the
/// check's transport socket has an <c>UpstreamTlsContext</c>. One <see cref="SocketsHttpHandler"/> per host, so a
/// kept-alive connection is reused between checks (<c>reuse_connection</c>, default true).
/// </summary>
/// <remarks>
/// <para>
/// HTTP/1.1 (the default codec): the handler is told the scheme is <c>http</c> and gets its stream from
/// <see cref="ConnectAsync"/>, which dials the host's IP and runs the TLS handshake itself. That keeps SNI, ALPN, the
/// client certificate and the verification in kubegate's hands (the handler would take SNI from the Host header,
/// which defaults to the cluster name), and the Host header exactly as configured.
/// </para>
/// <para>
/// HTTP/2 over TLS cannot work that way: the request's <c>:scheme</c> would say <c>http</c>, which servers may refuse
/// (Kestrel resets the stream). There the handler runs TLS itself on the socket <see cref="ConnectAsync"/> dials, the
/// request URI names the SNI host (or the IP, which sends no SNI), and so <c>:authority</c> is that name rather than
/// <c>http_health_check.host</c>; verification and the client certificate are still kubegate's, ALPN is <c>h2</c>.
/// REVIEW: Envoy sends the configured host as <c>:authority</c> with any SNI; SocketsHttpHandler ties the two together.
/// </para>
/// </remarks>
internal sealed class HttpHealthProbe : HealthProbe
{
    private const string UserAgent = "Envoy/HC";

    private readonly SocketsHttpHandler _handler;
    private readonly HttpMessageInvoker _invoker;
    private readonly IPEndPoint _endPoint;
    private readonly HttpMethod _method;
    private readonly Uri _uri;
    private readonly Version _version;
    private readonly string _hostHeader;
    private readonly string? _explicitHost;
    private readonly HttpHealthCheckConfig _config;
    private readonly HealthCheckTls? _tls;
    private readonly string? _tlsError;
    private readonly HostHealthInfo _info;
    private readonly bool _handlerTls;
    private readonly Uri? _livenessUri;

    /// <param name="clusterName">The cluster name: the Host header unless one is configured.</param>
    /// <param name="healthCheck">The health check (for <c>reuse_connection</c>).</param>
    /// <param name="config">The HTTP settings.</param>
    /// <param name="host">The host to check.</param>
    /// <param name="tls">TLS settings; null for plaintext (unless <paramref name="tlsError"/> is set).</param>
    /// <param name="tlsError">Why the TLS settings could not be built; every check then fails with it.</param>
    /// <param name="livenessPath">
    /// The kubegate extension's <c>liveness_path</c> (with <c>health_check_role: readiness</c>): asked after a failed
    /// readiness answer, to tell a draining host from one that is alive in name only; null: not asked.
    /// </param>
    public HttpHealthProbe(string clusterName, HealthCheckConfig healthCheck, HttpHealthCheckConfig config, EndpointState host, HealthCheckTls? tls, string? tlsError, string? livenessPath = null)
    {
        _config = config;
        _tls = tls;
        _tlsError = tlsError;
        _info = HostHealthInfo.For(host);
        _endPoint = new IPEndPoint(host.EndPoint.Address, host.Config.HealthCheckPort ?? host.EndPoint.Port);

        // Envoy's order: the endpoint's health_check_config.hostname, then http_health_check.host, then the cluster name.
        _explicitHost = NullIfEmpty(host.Config.HealthCheckHostname) ?? NullIfEmpty(config.Host);
        _hostHeader = _explicitHost ?? clusterName;
        _method = new HttpMethod(config.Method);
        _version = config.CodecClientType == CodecClientType.Http2 ? HttpVersion.Version20 : HttpVersion.Version11;
        var path = config.Path.StartsWith('/') ? config.Path : "/" + config.Path;
        _handlerTls = tls is not null && _version == HttpVersion.Version20;
        if (_handlerTls)
        {
            var authority = tls!.Sni is { } sni ? sni + ":" + _endPoint.Port : _endPoint.ToString();
            _uri = new Uri("https://" + authority + path, UriKind.Absolute);
        }
        else
        {
            _uri = new Uri("http://" + _endPoint + path, UriKind.Absolute);
        }

        if (!string.IsNullOrEmpty(livenessPath))
        {
            _livenessUri = new Uri(_uri, livenessPath.StartsWith('/') ? livenessPath : "/" + livenessPath);
        }

        _handler = new SocketsHttpHandler
        {
            SslOptions = _handlerTls ? tls!.CreateHandlerOptions(_explicitHost, _info) : new System.Net.Security.SslClientAuthenticationOptions(),
            ConnectCallback = ConnectAsync,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,

            // reuse_connection: false opens a new connection per check.
            PooledConnectionLifetime = healthCheck.ReuseConnection ? Timeout.InfiniteTimeSpan : TimeSpan.Zero,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 2,
        };
        _invoker = new HttpMessageInvoker(_handler, disposeHandler: true);
    }

    public override string CheckerType => "HTTP";

    public override async Task<ProbeResult> CheckAsync(CancellationToken cancellationToken)
    {
        if (_tlsError is not null)
        {
            return ProbeResult.NetworkFailure(_tlsError);
        }

        var result = await RequestAsync(_method, _uri, cancellationToken).ConfigureAwait(false);
        if (_livenessUri is null || result.Succeeded || result.StatusCode is null)
        {
            return result;
        }

        // The readiness check failed with an answer: is the host alive (kube-apiserver's /livez during its shutdown
        // delay), or answering but broken?
        var liveness = await RequestAsync(HttpMethod.Get, _livenessUri, cancellationToken).ConfigureAwait(false);
        return result with
        {
            Alive = liveness.Succeeded,
            Reason = liveness.Succeeded ? result.Reason : $"{result.Reason}; {_livenessUri.AbsolutePath}: {liveness.Reason}",
        };
    }

    private async Task<ProbeResult> RequestAsync(HttpMethod method, Uri uri, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri)
        {
            Version = _version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        // Without validation: cluster names such as k8s_cluster1 are not valid DNS names, and Envoy sends them as is.
        if (!_handlerTls)
        {
            request.Headers.TryAddWithoutValidation("Host", _hostHeader);
        }

        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        foreach (var header in _config.RequestHeadersToAdd)
        {
            if (!header.Append)
            {
                request.Headers.Remove(header.Key);
            }

            request.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        foreach (var name in _config.RequestHeadersToRemove)
        {
            request.Headers.Remove(name);
        }

        HttpResponseMessage response;
        try
        {
            response = await _invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            return ProbeResult.NetworkFailure(HealthProbeErrors.Describe(ex));
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var headers = response.Headers;
            if (headers.Contains("x-envoy-immediate-health-check-fail"))
            {
                return ProbeResult.ActiveFailure($"HTTP {status} with x-envoy-immediate-health-check-fail", status, immediateFail: true);
            }

            if (IsExpected(status))
            {
                return ProbeResult.Success($"HTTP {status}", status, degraded: headers.Contains("x-envoy-degraded"));
            }

            var retriable = _config.RetriableStatuses.Any(r => r.Contains(status));
            return ProbeResult.ActiveFailure($"HTTP {status}{Describe(response.Headers)}", status, retriable);
        }
    }

    public override void Dispose() => _invoker.Dispose();

    /// <summary>True when <paramref name="status"/> is in <c>expected_statuses</c> (half-open ranges; empty means exactly 200).</summary>
    internal bool IsExpected(int status) => _config.ExpectedStatuses.IsEmpty ? status == 200 : _config.ExpectedStatuses.Any(r => r.Contains(status));

    private static string Describe(HttpResponseHeaders headers) =>
        headers.RetryAfter is { Delta: { } delta } ? $" (retry after {delta.TotalSeconds:0} s)" : string.Empty;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await ConnectToHostAsync(socket, _endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new NetworkStream(socket, ownsSocket: true);
        if (_tls is null || _handlerTls)
        {
            return stream;
        }

        return await _tls.AuthenticateAsync(stream, _explicitHost, _info, cancellationToken).ConfigureAwait(false);
    }
}
