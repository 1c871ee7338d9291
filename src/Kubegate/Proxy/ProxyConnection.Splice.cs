using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Kubegate.Proxy.Splice;

namespace Kubegate.Proxy;

internal sealed partial class ProxyConnection
{
    /// <summary>How a relay round ended.</summary>
    private enum RoundResult
    {
        /// <summary>The source has nothing more for now: wait for data again.</summary>
        Waiting,

        /// <summary>This direction is done (FIN passed on, or an error passed on as a reset).</summary>
        Ended,

        /// <summary>This socket or kernel cannot splice; nothing was read, so buffers can take over.</summary>
        Unsupported,

        /// <summary>A copy round filled its buffer: the source is streaming, and splicing moves the rest.</summary>
        Bulk,

        /// <summary>A splice round drained the source having moved less than a buffer: messages again, not a stream.</summary>
        WaitingLight,
    }

    /// <summary>How one direction relays; kept per direction between rounds.</summary>
    [Flags]
    private enum RelayMode : byte
    {
        /// <summary>Through pooled buffers only.</summary>
        Copy = 0,

        /// <summary>splice(2) is on and has not been refused for this direction.</summary>
        CanSplice = 1,

        /// <summary>The direction streams (a read filled a whole buffer): rounds splice until one moves little.</summary>
        Stream = 2,
    }

    /// <summary>What one synchronous burst of splice(2) calls ended with.</summary>
    private enum SpliceStatus
    {
        SourceDrained,
        Yield,
        EndOfStream,
        DestinationFull,
        Failed,
        Unsupported,
    }

    /// <summary>
    /// Splices socket → pipe → socket while data keeps coming. If the destination is full, the bytes still in the
    /// pipe move to a pooled buffer and go out with the asynchronous send (.NET has no "wait until writable"), so
    /// the pipe goes back to the pool, empty, before any wait.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RoundResult> SpliceRoundAsync(Socket source, Socket destination, PipePool pipes, bool toUpstream)
    {
        var pipe = pipes.Rent();
        if (pipe is null)
        {
            // Descriptor limit or splicing just switched off: this round copies through a buffer.
            return await CopyRoundAsync(source, destination, toUpstream, stopWhenFull: false).ConfigureAwait(false);
        }

        SpliceStatus status;
        SocketError error;
        byte[]? pending = null;
        var pendingLength = 0;
        long moved = 0;
        try
        {
            while ((status = SpliceBurst(source, destination, pipe, toUpstream, ref moved, out error)) == SpliceStatus.Yield)
            {
                // A long transfer yields its thread now and then, as the buffer path does; the pipe is empty here.
                await Task.Yield();
            }

            if (status == SpliceStatus.DestinationFull)
            {
                pipes.OnSpilled();
                pendingLength = pipe.Length;
                pending = _context.BufferPool.Rent(Math.Max(pendingLength, BufferSize));
                if (!pipe.TryDrainTo(pending))
                {
                    // The pipe gave back less than went in: never pass on a truncated stream as a whole one.
                    status = SpliceStatus.Failed;
                    error = SocketError.SocketError;
                }
            }
        }
        finally
        {
            // Empty → back to the pool; still holding bytes (a failed stream) → closed.
            pipes.Return(pipe);
        }

        switch (status)
        {
            case SpliceStatus.SourceDrained:
                return moved < BufferSize ? RoundResult.WaitingLight : RoundResult.Waiting;
            case SpliceStatus.EndOfStream:
                OnEndOfStream(destination, toUpstream);
                return RoundResult.Ended;
            case SpliceStatus.Unsupported:
                return RoundResult.Unsupported;
            case SpliceStatus.DestinationFull:
                try
                {
                    return await SendRestAsync(destination, pending.AsMemory(0, pendingLength), toUpstream).ConfigureAwait(false)
                        ? RoundResult.Waiting
                        : RoundResult.Ended;
                }
                finally
                {
                    _context.BufferPool.Return(pending!);
                }

            default:
                if (pending is not null)
                {
                    _context.BufferPool.Return(pending);
                }

                OnTransferError(error);
                return RoundResult.Ended;
        }
    }

    /// <summary>
    /// Splices until the source has nothing more (EAGAIN), it ends, the destination is full or
    /// <see cref="ReadsBeforeYield"/> reads were done. Holds a reference on both socket handles meanwhile, so a
    /// close from another thread (idle timer, reset of the other direction) cannot free the descriptor numbers
    /// under the system calls; such a close shows up as EOF or an error instead.
    /// </summary>
    private SpliceStatus SpliceBurst(Socket source, Socket destination, SplicePipe pipe, bool toUpstream, ref long moved, out SocketError error)
    {
        error = SocketError.Success;
        var sourceHandle = source.SafeHandle;
        var destinationHandle = destination.SafeHandle;
        var sourceAdded = false;
        var destinationAdded = false;
        try
        {
            // Throws ObjectDisposedException once the socket is closed: the relay ends this direction quietly, as on a read.
            sourceHandle.DangerousAddRef(ref sourceAdded);
            destinationHandle.DangerousAddRef(ref destinationAdded);
            var sourceFd = (int)sourceHandle.DangerousGetHandle();
            var destinationFd = (int)destinationHandle.DangerousGetHandle();
            const uint flags = SpliceInterop.SpliceMove | SpliceInterop.SpliceNonBlock;

            for (var reads = 0; reads < ReadsBeforeYield;)
            {
                // The pipe is empty here, so EAGAIN can only mean the (non-blocking) socket has no data.
                var read = SpliceInterop.Splice(sourceFd, pipe.WriteFd, pipe.Capacity, flags);
                if (read < 0)
                {
                    var errno = SpliceInterop.LastError;
                    if (errno == SpliceInterop.EINTR)
                    {
                        continue;
                    }

                    if (errno == SpliceInterop.EAGAIN)
                    {
                        return SpliceStatus.SourceDrained;
                    }

                    if (SpliceInterop.IsUnsupported(errno))
                    {
                        return SpliceStatus.Unsupported;
                    }

                    error = SpliceInterop.ToSocketError(errno);
                    return SpliceStatus.Failed;
                }

                if (read == 0)
                {
                    return SpliceStatus.EndOfStream;
                }

                reads++;
                moved += read;
                pipe.Length = (int)read;
                _lastActivity = _context.Connections.NowMilliseconds();
                Account((int)read, toUpstream);

                while (pipe.Length > 0)
                {
                    var written = SpliceInterop.Splice(pipe.ReadFd, destinationFd, pipe.Length, flags);
                    if (written > 0)
                    {
                        pipe.Length -= (int)written;
                        continue;
                    }

                    var errno = written < 0 ? SpliceInterop.LastError : 0;
                    if (errno == SpliceInterop.EINTR)
                    {
                        continue;
                    }

                    if (errno == SpliceInterop.EAGAIN)
                    {
                        return SpliceStatus.DestinationFull;
                    }

                    // Zero from a non-empty pipe, or a send error (EPIPE, ECONNRESET): the stream is broken.
                    error = errno == 0 ? SocketError.SocketError : SpliceInterop.ToSocketError(errno);
                    return SpliceStatus.Failed;
                }
            }

            return SpliceStatus.Yield;
        }
        finally
        {
            if (destinationAdded)
            {
                destinationHandle.DangerousRelease();
            }

            if (sourceAdded)
            {
                sourceHandle.DangerousRelease();
            }
        }
    }
}
