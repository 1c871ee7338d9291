using System.Net.Sockets;

namespace Kubegate.Proxy;

internal sealed partial class ProxyConnection
{
    /// <summary>
    /// Copies one direction until its source sends FIN (then shuts down only the destination's send side) or
    /// either side fails (then resets both). The buffer is rented only once data is there and returned before
    /// waiting again, so a connection that is idle in this direction holds no buffer.
    /// </summary>
    private async Task CopyAsync(Socket source, Socket destination, SocketAwaitableEventArgs waitArgs, bool toUpstream)
    {
        try
        {
            while (true)
            {
                var wait = await waitArgs.WaitForDataAsync(source).ConfigureAwait(false);
                if (!wait.Succeeded)
                {
                    OnTransferError(wait.Error);
                    return;
                }

                var pool = _context.BufferPool;
                var buffer = pool.Rent(BufferSize);
                try
                {
                    var reads = 0;
                    while (true)
                    {
                        var received = source.Receive(buffer, SocketFlags.None, out var receiveError);
                        if (receiveError == SocketError.WouldBlock)
                        {
                            break;
                        }

                        if (receiveError != SocketError.Success)
                        {
                            OnTransferError(receiveError);
                            return;
                        }

                        if (received == 0)
                        {
                            OnEndOfStream(destination, toUpstream);
                            return;
                        }

                        _lastActivity = _context.Connections.NowMilliseconds();
                        Account(received, toUpstream);
                        if (toUpstream && _inspectClientHello)
                        {
                            InspectClientHello(buffer.AsSpan(0, received));
                        }

                        var data = buffer.AsMemory(0, received);
                        var sent = destination.Send(data.Span, SocketFlags.None, out var sendError);
                        if (sendError == SocketError.WouldBlock)
                        {
                            sent = 0;
                        }
                        else if (sendError != SocketError.Success)
                        {
                            OnTransferError(sendError);
                            return;
                        }

                        if (sent < received)
                        {
                            // The destination's send buffer is full: wait for room (backpressure) without a timer.
                            var sendArgs = toUpstream ? (_upstreamSend ??= new()) : (_downstreamSend ??= new());
                            var result = await sendArgs.SendAsync(destination, data[sent..]).ConfigureAwait(false);
                            if (!result.Succeeded)
                            {
                                OnTransferError(result.Error);
                                return;
                            }

                            _lastActivity = _context.Connections.NowMilliseconds();
                        }

                        if (++reads == ReadsBeforeYield)
                        {
                            reads = 0;
                            await Task.Yield();
                        }
                    }
                }
                finally
                {
                    pool.Return(buffer);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The other direction, the idle timer or shutdown closed the sockets while this one was mid-read.
        }
    }

    private void Account(int bytes, bool toUpstream)
    {
        var cluster = _cluster!.Stats;
        if (toUpstream)
        {
            Interlocked.Add(ref _bytesReceived, bytes);
            _listener.TcpProxyStats.DownstreamCxRxBytesTotal.Add(bytes);
            cluster.UpstreamCxTxBytesTotal.Add(bytes);
        }
        else
        {
            Interlocked.Add(ref _bytesSent, bytes);
            _listener.TcpProxyStats.DownstreamCxTxBytesTotal.Add(bytes);
            cluster.UpstreamCxRxBytesTotal.Add(bytes);
        }
    }

    private void OnEndOfStream(Socket destination, bool toUpstream)
    {
        if (!toUpstream && _closeReason == CloseReason.None)
        {
            _upstreamClosedFirst = true;
        }

        try
        {
            destination.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The destination is already gone (reset by its peer); the other direction sees that and resets.
        }
        catch (ObjectDisposedException)
        {
            // Closed by the idle timer or shutdown meanwhile.
        }
    }

    /// <summary>
    /// A read or write failed. A reset (or any hard error) on one side becomes a reset on the other, so neither
    /// peer mistakes a broken stream for a complete one.
    /// </summary>
    private void OnTransferError(SocketError error)
    {
        if (error == SocketError.OperationAborted)
        {
            // Our own close (idle timeout, shutdown, the other direction's reset): nothing more to pass on.
            return;
        }

        Abort(CloseReason.Reset);
    }
}
