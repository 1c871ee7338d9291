using System.Net;
using System.Text;
using Kubegate.Configuration;
using Kubegate.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kubegate.Admin;

/// <summary>
/// Envoy's admin interface on the bootstrap's <c>admin.address</c>: Kestrel, plain HTTP/1.1, one terminal request
/// delegate that hands the request to <see cref="AdminHandlers"/> and writes its answer by hand (no MVC, no
/// reflection). Kestrel's own logging is off: the host has no logging providers.
/// </summary>
internal sealed partial class AdminServer : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);

    // Bounds for a client that sends slowly or too much (slow loris, a runaway script): the admin takes no request
    // body and short headers, and it must keep answering while the proxy is under attack.
    private const long MaxRequestBodySize = 64 * 1024;
    private const int MaxRequestHeadersTotalSize = 32 * 1024;
    private const int MaxRequestLineSize = 8 * 1024;
    private const long MaxConcurrentConnections = 256;

    private readonly SocketAddressConfig _address;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly AdminAccessLog _accessLog;
    private readonly TimeSpan _requestHeadersTimeout;
    private bool _loopbackOnly;
    private WebApplication? _app;
    private int _stopped;

    /// <param name="requestHeadersTimeout">How long a client may take to send its request headers (Kestrel's default is 30 s).</param>
    public AdminServer(IAdminHost server, SocketAddressConfig address, TimeProvider time, ILogger logger, TimeSpan requestHeadersTimeout)
    {
        _address = address;
        _requestHeadersTimeout = requestHeadersTimeout;
        _logger = logger;
        Handlers = new AdminHandlers(server, time);
        _time = time;
        var admin = server.Snapshot.Bootstrap.Admin;
        _accessLog = new AdminAccessLog(server.LogFiles, (admin?.AccessLog.Select(l => l.Path) ?? []).Append(admin?.AccessLogPath));
    }

    public AdminHandlers Handlers { get; }

    /// <summary>The bound address (the real port when the config says 0); null before <see cref="StartAsync"/>.</summary>
    public IPEndPoint? EndPoint { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ListenOptions? listenOptions = null;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "kubegate-admin" });
        builder.Services.AddSingleton<IHostLifetime, NoopHostLifetime>();
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodySize;
            kestrel.Limits.MaxRequestHeadersTotalSize = MaxRequestHeadersTotalSize;
            kestrel.Limits.MaxRequestLineSize = MaxRequestLineSize;
            kestrel.Limits.MaxConcurrentConnections = MaxConcurrentConnections;
            kestrel.Limits.RequestHeadersTimeout = _requestHeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            kestrel.Listen(_address.ToEndPoint(), listen =>
            {
                listenOptions = listen;
                listen.Protocols = HttpProtocols.Http1;
            });
        });

        var app = builder.Build();
        app.Run(HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.StartFailed(_logger, _address.ToString(), e.Message);
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _app = app;
        EndPoint = listenOptions?.IPEndPoint ?? _address.ToEndPoint();
        _loopbackOnly = IPAddress.IsLoopback(EndPoint.Address);
        Log.Started(_logger, EndPoint.ToString());
    }

    public async Task StopAsync()
    {
        if (_app is null || Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(StopTimeout);
        try
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        Log.Stopped(_logger);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var started = _time.GetTimestamp();
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in request.Query)
        {
            query[key] = values.Count > 0 ? values[^1] ?? string.Empty : string.Empty;
        }

        AdminResponse result;
        try
        {
            // No handler takes a body, but Kestrel enforces MaxRequestBodySize only on a body that is read: read (and
            // drop) it, so an oversized one gets 413 instead of being left on the connection.
            if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
            {
                await request.Body.CopyToAsync(Stream.Null, context.RequestAborted).ConfigureAwait(false);
            }

            var refusal = AdminRequestPolicy.Refuse(
                request.Method,
                request.Host.Host,
                request.Host.Value ?? string.Empty,
                request.Headers.Origin.Count > 0 ? request.Headers.Origin.ToString() : null,
                request.Headers["Sec-Fetch-Site"].Count > 0 ? request.Headers["Sec-Fetch-Site"].ToString() : null,
                _loopbackOnly)
                ?? AdminRequestPolicy.RefuseWithoutIntent(
                    request.Method,
                    request.Path.Value ?? "/",
                    request.Headers[AdminRequestPolicy.IntentHeader].Count > 0 ? request.Headers[AdminRequestPolicy.IntentHeader].ToString() : null);
            result = refusal is null
                ? Handlers.Handle(request.Method, request.Path.Value ?? "/", query)
                : AdminResponse.Text(refusal + "\n", StatusCodes.Status403Forbidden);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e)
        {
            result = AdminResponse.Text(e.Message + "\n", e.StatusCode);
        }
        catch (Exception e)
        {
            Log.HandlerFailed(_logger, request.Path.Value ?? "/", e);
            result = AdminResponse.Text("internal error\n", StatusCodes.Status500InternalServerError);
        }

        var response = context.Response;
        var body = Encoding.UTF8.GetBytes(result.Body);
        response.StatusCode = result.StatusCode;
        response.ContentType = result.ContentType;
        response.ContentLength = body.Length;
        response.Headers.CacheControl = "no-cache, max-age=0";
        response.Headers.XContentTypeOptions = "nosniff";
        if (_accessLog.Enabled)
        {
            // Written (through the process's log writer) before the answer goes out, so a client that got its answer
            // finds the request in the log.
            await _accessLog.WriteAsync(AdminAccessLog.FormatLine(
                _time.GetUtcNow(),
                request.Method,
                request.Path.Value + request.QueryString.Value,
                result.StatusCode,
                HttpMethods.IsHead(request.Method) ? 0 : body.Length,
                (long)_time.GetElapsedTime(started).TotalMilliseconds)).ConfigureAwait(false);
        }

        if (!HttpMethods.IsHead(request.Method))
        {
            await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.AdminStarted, LogLevel.Information, "admin interface listening on {Address}", EventName = "AdminStarted")]
        public static partial void Started(ILogger logger, string address);

        [LoggerMessage(EventIds.AdminStartFailed, LogLevel.Error, "admin interface could not listen on {Address}: {Message}", EventName = "AdminStartFailed")]
        public static partial void StartFailed(ILogger logger, string address, string message);

        [LoggerMessage(EventIds.AdminStopped, LogLevel.Information, "admin interface stopped", EventName = "AdminStopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(EventIds.AdminHandlerFailed, LogLevel.Error, "admin handler for {Path} failed", EventName = "AdminHandlerFailed")]
        public static partial void HandlerFailed(ILogger logger, string path, Exception exception);
    }

    /// <summary>Keeps the admin host from hooking Ctrl+C and SIGTERM: kubegate's own host owns process lifetime.</summary>
    private sealed class NoopHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
