using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.Soak.Errors;

/// <summary>Turns the exceptions of sockets, SslStream and HttpClient into an <see cref="ErrorKind"/>.</summary>
internal static class ErrorClassifier
{
    public static ErrorKind Classify(Exception exception)
    {
        // The innermost socket error says most: HttpClient wraps it in HttpRequestException or IOException.
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => ErrorKind.ConnectRefused,
                    SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => ErrorKind.Reset,
                    SocketError.TimedOut => ErrorKind.Timeout,
                    _ => ErrorKind.Other,
                };
            }
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case TimeoutException:
                    return ErrorKind.Timeout;
                case AuthenticationException:
                    return ErrorKind.Tls;
                case HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }:
                case HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded }:
                case EndOfStreamException:
                    return ErrorKind.Truncated;
                case HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }:
                    return ErrorKind.Tls;
            }
        }

        // HttpClient.Timeout surfaces as a TaskCanceledException (its inner TimeoutException is handled above).
        return exception is OperationCanceledException ? ErrorKind.Timeout : ErrorKind.Other;
    }

    public static ErrorKind Classify(StreamFailureKind kind) => kind switch
    {
        StreamFailureKind.Corrupted => ErrorKind.ChecksumMismatch,
        StreamFailureKind.Truncated => ErrorKind.Truncated,
        StreamFailureKind.Reset => ErrorKind.Reset,
        StreamFailureKind.Timeout => ErrorKind.Timeout,
        _ => ErrorKind.Other,
    };

    /// <summary>One line: the exception types and messages down the chain.</summary>
    public static string Describe(Exception exception)
    {
        var parts = new List<string>();
        for (var e = exception; e is not null && parts.Count < 3; e = e.InnerException)
        {
            parts.Add($"{e.GetType().Name}: {e.Message}");
        }

        return string.Join(" <- ", parts);
    }
}
