using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Kubegate.Proxy.Splice;

namespace Kubegate.Proxy;

internal sealed partial class ProxyConnection
{
    /// <summary>
    /// Relays one direction until its source sends FIN (then shuts down only the destination's send side) or
    /// either side fails (then resets both). Each round starts when data is there: it splices through a pooled pipe
    /// (Linux) or copies through a pooled buffer, and returns the pipe or buffer before waiting again, so a
    /// connection that is idle in this direction holds neither.
    /// </summary>
    private async Task CopyAsync(Socket source, Socket destination, SocketAwaitableEventArgs waitArgs, bool toUpstream)
    {
        var pipes = _context.PipePool;
        var splice = pipes.IsEnabled;
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

                // The ClientHello of an access-logged connection must be seen in user space: buffers until it was.
                if (splice && !(toUpstream && _inspectClientHello))
                {
                    var spliced = await SpliceRoundAsync(source, destination, pipes, toUpstream).ConfigureAwait(false);
                    if (spliced == RoundResult.Ended)
                    {
                        return;
                    }

                    if (spliced == RoundResult.Waiting)
                    {
                        continue;
                    }

                    // Unsupported: the pipe was empty (every byte read so far went out), so buffers take over safely.
                    splice = false;
                }

                if (await CopyRoundAsync(source, destination, toUpstream).ConfigureAwait(false) == RoundResult.Ended)
                {
                    return;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The other direction, the idle timer or shutdown closed the sockets while this one was mid-read.
        }
    }

    /// <summary>
    /// Drains the source through one pooled buffer with non-blocking reads, sending each read on (asynchronously
    /// only when the destination is full), and returns the buffer once the source has nothing more.
    /// </summary>
    // Pooled builder: a round that suspends (backpressure, yield) reuses a state-machine box instead of allocating one.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RoundResult> CopyRoundAsync(Socket source, Socket destination, bool toUpstream)
    {
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
                    return RoundResult.Waiting;
                }

                if (receiveError != SocketError.Success)
                {
                    OnTransferError(receiveError);
                    return RoundResult.Ended;
                }

                if (received == 0)
                {
                    OnEndOfStream(destination, toUpstream);
                    return RoundResult.Ended;
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
                    return RoundResult.Ended;
                }

                if (sent < received && !await SendRestAsync(destination, data[sent..], toUpstream).ConfigureAwait(false))
                {
                    return RoundResult.Ended;
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

    /// <summary>
    /// The destination's send buffer is full: waits for room (backpressure) without a timer. False when the send
    /// failed (already passed on).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendRestAsync(Socket destination, ReadOnlyMemory<byte> rest, bool toUpstream)
    {
        var sendArgs = toUpstream ? (_upstreamSend ??= new()) : (_downstreamSend ??= new());
        var result = await sendArgs.SendAsync(destination, rest).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            OnTransferError(result.Error);
            return false;
        }

        _lastActivity = _context.Connections.NowMilliseconds();
        return true;
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
