using System.Net;
using System.Net.Sockets;

namespace Kubegate.Health.Active;

/// <summary>
/// Checks one host once per call (HTTP request, TCP connect/send/receive). Reports failures as results, not
/// exceptions; the caller enforces the timeout through the token and treats cancellation as NETWORK_TIMEOUT.
/// </summary>
internal abstract class HealthProbe : IDisposable
{
    /// <summary><c>HTTP</c> or <c>TCP</c>, as Envoy names checkers in events.</summary>
    public abstract string CheckerType { get; }

    public abstract Task<ProbeResult> CheckAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Connects <paramref name="socket"/> to the host. A socket that ends up connected to itself (TCP's self-connect:
    /// a local port nothing listens on, in the ephemeral range, picked as the source port too) fails as refused, which
    /// it is: a check must not find a dead local port healthy because it answered itself.
    /// </summary>
    protected static async ValueTask ConnectToHostAsync(Socket socket, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        if (socket.LocalEndPoint is IPEndPoint local && local.Equals(endPoint))
        {
            throw new SocketException((int)SocketError.ConnectionRefused);
        }
    }

    public virtual void Dispose()
    {
    }
}
