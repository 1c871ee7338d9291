using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Kubegate.Clusters;
using Kubegate.Configuration;

namespace Kubegate.Health.Active;

/// <summary>
/// <c>tcp_health_check</c> of one host: connect (and, over a TLS transport socket, complete the handshake); with
/// <c>send</c>/<c>receive</c>, write the bytes and wait until every <c>receive</c> block has appeared in order.
/// Data that does not match yet is not a failure: the check fails on timeout or when the host closes first.
/// </summary>
/// <remarks>Each check opens a new connection, whatever <c>reuse_connection</c> says: a kept-open probe connection
/// would only hold an apiserver slot between checks.</remarks>
internal sealed class TcpHealthProbe : HealthProbe
{
    // Bounds what one check buffers while looking for the receive blocks; an endless stream fails instead.
    internal const int MaxBufferedBytes = 1024 * 1024;

    private readonly IPEndPoint _endPoint;
    private readonly TcpHealthCheckConfig _config;
    private readonly HealthCheckTls? _tls;
    private readonly string? _tlsError;
    private readonly HostHealthInfo _info;

    public TcpHealthProbe(TcpHealthCheckConfig config, EndpointState host, HealthCheckTls? tls, string? tlsError)
    {
        _config = config;
        _tls = tls;
        _tlsError = tlsError;
        _info = HostHealthInfo.For(host);
        _endPoint = new IPEndPoint(host.EndPoint.Address, host.Config.HealthCheckPort ?? host.EndPoint.Port);
    }

    public override string CheckerType => "TCP";

    public override async Task<ProbeResult> CheckAsync(CancellationToken cancellationToken)
    {
        if (_tlsError is not null)
        {
            return ProbeResult.NetworkFailure(_tlsError);
        }

        var socket = new Socket(_endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream stream;
        try
        {
            await ConnectToHostAsync(socket, _endPoint, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            return ProbeResult.NetworkFailure("connect: " + HealthProbeErrors.SocketErrorText(ex.SocketErrorCode));
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        try
        {
            if (_tls is not null)
            {
                stream = await _tls.AuthenticateAsync(stream, expectedName: null, _info, cancellationToken).ConfigureAwait(false);
            }

            if (_config.Send.IsEmpty && _config.Receive.IsEmpty)
            {
                return ProbeResult.Success("connected");
            }

            if (!_config.Send.IsEmpty)
            {
                await stream.WriteAsync(_config.Send.AsImmutableArray().AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            return _config.Receive.IsEmpty ? ProbeResult.Success("sent") : await ReceiveAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or System.Security.Authentication.AuthenticationException)
        {
            return ProbeResult.NetworkFailure(HealthProbeErrors.Describe(ex));
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<ProbeResult> ReceiveAsync(Stream stream, CancellationToken cancellationToken)
    {
        var received = new ArrayBufferWriter<byte>(256);
        var chunk = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return ProbeResult.NetworkFailure($"connection closed before the expected response ({received.WrittenCount} bytes received)");
                }

                if (received.WrittenCount + read > MaxBufferedBytes)
                {
                    return ProbeResult.NetworkFailure($"no expected response within the first {MaxBufferedBytes} bytes");
                }

                received.Write(chunk.AsSpan(0, read));
                if (PayloadMatcher.Matches(received.WrittenSpan, _config.Receive))
                {
                    return ProbeResult.Success("expected response received");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
