namespace Kubegate.Proxy.Splice;

/// <summary>
/// One kernel pipe the relay splices through: socket → pipe → socket, the bytes never entering user space. Used by
/// one connection direction at a time (rented from <see cref="PipePool"/>), so it needs no locking.
/// </summary>
internal sealed class SplicePipe : IDisposable
{
    private int _closed;

    public SplicePipe(int readFd, int writeFd, int capacity)
    {
        ReadFd = readFd;
        WriteFd = writeFd;
        Capacity = capacity;
    }

    public int ReadFd { get; }

    public int WriteFd { get; }

    /// <summary>The pipe's size in bytes (F_GETPIPE_SZ): the most one splice into it can move.</summary>
    public int Capacity { get; }

    /// <summary>Bytes spliced into the pipe and not yet out of it; only an empty pipe goes back to the pool.</summary>
    public int Length { get; set; }

    /// <summary>True while a connection holds it (guards against returning it twice).</summary>
    internal bool IsRented { get; set; }

    /// <summary>
    /// Moves everything the pipe holds into <paramref name="buffer"/> (at least <see cref="Length"/> bytes long),
    /// for when the destination is full and the rest must wait in user space. False if the pipe held less than it
    /// should: the stream can then no longer be trusted.
    /// </summary>
    public bool TryDrainTo(Span<byte> buffer)
    {
        var length = Length;
        var done = 0;
        while (done < length)
        {
            var read = SpliceInterop.Read(ReadFd, buffer[done..length]);
            if (read > 0)
            {
                done += (int)read;
                continue;
            }

            if (read < 0 && SpliceInterop.LastError == SpliceInterop.EINTR)
            {
                continue;
            }

            return false;
        }

        Length = 0;
        return true;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _ = SpliceInterop.Close(ReadFd);
            _ = SpliceInterop.Close(WriteFd);
        }
    }
}
