using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Kubegate.Proxy.Splice;

namespace Kubegate.Proxy;

internal sealed partial class ProxyConnection
{
    /// <summary>
    /// Relays one direction until its source sends FIN (then shuts down only the destination's send side) or
    /// either side fails (then resets both). Each round starts when data is there and returns its buffer or pipe
    /// before waiting again, so a connection that is idle in this direction holds neither. Messages (a request, a
    /// response, a watch event) go through a pooled buffer; once a read fills the whole buffer the direction is a
    /// stream, and it splices through a pooled pipe (Linux) until a round moves less than a buffer's worth again.
    /// </summary>
    /// <remarks>
    /// Both ways cost the same number of system calls per message, but splice(2) pays for pipe pages and two
    /// transfers of page references, which is more than copying 2 KB twice: measured with a 120 B request and a
    /// 1.7 KB response on one connection, 80 µs of proxy CPU per exchange spliced against 56 µs copied. For a
    /// bulk stream splicing wins by far (bench/results/splice-iperf3.md).
    /// </remarks>
    private async Task CopyAsync(Socket source, Socket destination, SocketAwaitableEventArgs waitArgs, bool toUpstream)
    {
        var pipes = _context.PipePool;
        var canSplice = pipes.IsEnabled;
        var stream = false;
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
                var spliceable = canSplice && !(toUpstream && _inspectClientHello);
                if (!(spliceable && stream))
                {
                    var copied = await CopyRoundAsync(source, destination, toUpstream, stopWhenFull: spliceable).ConfigureAwait(false);
                    if (copied == RoundResult.Ended)
                    {
                        return;
                    }

                    if (copied == RoundResult.Waiting)
                    {
                        continue;
                    }

                    // A full buffer: more is coming; the rest of this round is spliced.
                    stream = true;
                }

                var spliced = await SpliceRoundAsync(source, destination, pipes, toUpstream).ConfigureAwait(false);
                switch (spliced)
                {
                    case RoundResult.Ended:
                        return;
                    case RoundResult.Waiting:
                        continue;
                    case RoundResult.WaitingLight:
                        stream = false;
                        continue;
                }

                // Unsupported: the pipe was empty (every byte read so far went out), so buffers take over for good.
                canSplice = false;
                if (await CopyRoundAsync(source, destination, toUpstream, stopWhenFull: false).ConfigureAwait(false) == RoundResult.Ended)
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
    /// only when the destination is full), and returns the buffer once the source has nothing more. A read that did
    /// not fill the buffer took everything the socket had, so the round ends without a read that would only say
    /// EAGAIN: the next wait finds out whether more came meanwhile. With <paramref name="stopWhenFull"/>, a read that
    /// filled the buffer ends the round as <see cref="RoundResult.Bulk"/> once it went out.
    /// </summary>
    // Pooled builder: a round that suspends (backpressure, yield) reuses a state-machine box instead of allocating one.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RoundResult> CopyRoundAsync(Socket source, Socket destination, bool toUpstream, bool stopWhenFull)
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

                if (received < buffer.Length)
                {
                    return RoundResult.Waiting;
                }

                if (stopWhenFull)
                {
                    return RoundResult.Bulk;
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
