using System.Net.Sockets;
using System.Security.Authentication;

namespace Kubegate.Health.Active;

/// <summary>Short reasons for failed probes, for logs and the admin page.</summary>
internal static class HealthProbeErrors
{
    /// <summary>
    /// The most telling message of an exception chain: a TLS verification problem, else the socket error, else the
    /// innermost message (<c>HttpRequestException</c> wraps the interesting part).
    /// </summary>
    public static string Describe(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is AuthenticationException)
            {
                return "TLS handshake failed: " + current.Message;
            }
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SocketException socket)
            {
                return SocketErrorText(socket.SocketErrorCode);
            }
        }

        var innermost = exception;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return innermost.Message;
    }

    public static string SocketErrorText(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset by peer",
        SocketError.ConnectionAborted => "connection aborted",
        SocketError.HostUnreachable => "no route to host",
        SocketError.NetworkUnreachable => "network is unreachable",
        SocketError.TimedOut => "connection timed out",
        SocketError.Shutdown => "connection closed",
        _ => error.ToString(),
    };
}
