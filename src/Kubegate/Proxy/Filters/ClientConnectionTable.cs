using System.Net;

namespace Kubegate.Proxy.Filters;

/// <summary>
/// kubegate's per-client connection cap (<c>metadata.filter_metadata.kubegate.max_connections_per_client</c>): open
/// connections per client address on one listener. Lives as long as the listener (an in-place update keeps the
/// counts); one short lock per accept and per close.
/// </summary>
internal sealed class ClientConnectionTable
{
    private readonly Dictionary<IPAddress, int> _open = [];
    private readonly Lock _lock = new();

    /// <summary>Takes a slot for <paramref name="client"/>; false when it already holds <paramref name="max"/>.</summary>
    public bool TryAcquire(IPAddress client, long max, out int open)
    {
        lock (_lock)
        {
            _open.TryGetValue(client, out open);
            if (open >= max)
            {
                return false;
            }

            _open[client] = open + 1;
            return true;
        }
    }

    public void Release(IPAddress client)
    {
        lock (_lock)
        {
            if (_open.TryGetValue(client, out var open))
            {
                if (open <= 1)
                {
                    _open.Remove(client);
                }
                else
                {
                    _open[client] = open - 1;
                }
            }
        }
    }

    /// <summary>Open connections of <paramref name="client"/> (tests, admin).</summary>
    public int OpenFor(IPAddress client)
    {
        lock (_lock)
        {
            return _open.TryGetValue(client, out var open) ? open : 0;
        }
    }
}
