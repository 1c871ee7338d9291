namespace Kubegate.Proxy.Splice;

/// <summary>
/// Pipes for the splice relay, pooled the way <see cref="System.Buffers.ArrayPool{T}"/> pools buffers: a
/// connection direction rents one only once data has arrived and returns it, empty, before waiting again, so an
/// idle connection holds none. At most <see cref="MaxPooled"/> idle pipes are kept (two descriptors each); more
/// are closed on return, so a burst of busy connections does not leave descriptors or pipe budget behind.
/// </summary>
internal sealed class PipePool
{
    /// <summary>The environment variable that turns splicing off when set to <c>0</c>, <c>false</c> or <c>off</c>.</summary>
    public const string EnvironmentVariable = "KUBEGATE_SPLICE";

    /// <summary>
    /// Pipe size asked for by default: 256 KiB. Measured with iperf3 through the proxy on loopback (2 cores): the
    /// kernel's 64 KiB pipe saved about a fifth of the proxy's CPU per GiB against the buffer copy, 256 KiB about a
    /// third (fewer, larger splices); 1 MiB saved no more. Only pages with data in them cost memory. Past the
    /// per-user pipe budget (fs.pipe-user-pages-soft) the kernel refuses the size and the pipe keeps its default.
    /// </summary>
    public const int DefaultPipeSize = 256 * 1024;

    /// <summary>
    /// Idle pipes kept by default: 64 (128 descriptors). The kernel charges a pipe's full size to its user's pipe
    /// budget even while it is empty (fs.pipe-user-pages-soft, 64 MiB by default), so 64 idle pipes of
    /// <see cref="DefaultPipeSize"/> take a quarter of it; making a pipe when more are needed costs a few µs.
    /// </summary>
    public const int DefaultMaxPooled = 64;

    private readonly Lock _lock = new();
    private readonly SplicePipe?[] _pipes;
    private readonly int _pipeSize;
    private volatile bool _enabled;
    private int _count;
    private long _rented;
    private long _totalRented;
    private long _created;
    private long _open;
    private long _badReturns;
    private long _spills;

    /// <param name="enabled">False makes every <see cref="Rent"/> fail, so the relay copies through buffers.</param>
    /// <param name="maxPooled">Idle pipes kept for reuse; default <see cref="DefaultMaxPooled"/>.</param>
    /// <param name="pipeSize">Bytes asked for with F_SETPIPE_SZ; default <see cref="DefaultPipeSize"/>, 0 keeps the kernel's 64 KiB.</param>
    public PipePool(bool enabled = true, int maxPooled = DefaultMaxPooled, int pipeSize = DefaultPipeSize)
    {
        _enabled = enabled && OperatingSystem.IsLinux();
        _pipes = new SplicePipe?[maxPooled];
        _pipeSize = pipeSize;
    }

    /// <summary>The process-wide pool: on for Linux unless <see cref="EnvironmentVariable"/> turns it off (read once, at start-up).</summary>
    public static PipePool Shared { get; } = new(IsEnabledByEnvironment(Environment.GetEnvironmentVariable(EnvironmentVariable)));

    /// <summary>False once splicing is off (switched off, not Linux, or the kernel refused to make a pipe).</summary>
    public bool IsEnabled => _enabled;

    public int MaxPooled => _pipes.Length;

    /// <summary>Pipes rented and not returned yet.</summary>
    public long Rented => Interlocked.Read(ref _rented);

    public long TotalRented => Interlocked.Read(ref _totalRented);

    /// <summary>Idle pipes waiting in the pool.</summary>
    public int Pooled
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    public long Created => Interlocked.Read(ref _created);

    /// <summary>Pipes that exist now, pooled or rented (two descriptors each).</summary>
    public long Open => Interlocked.Read(ref _open);

    /// <summary>Returns of a pipe that was not rented: always a bug, counted so tests can assert there are none.</summary>
    public long BadReturns => Interlocked.Read(ref _badReturns);

    /// <summary>Times a full destination made the bytes in a pipe move to a buffer (backpressure).</summary>
    public long Spills => Interlocked.Read(ref _spills);

    /// <summary>Whether the value of <see cref="EnvironmentVariable"/> leaves splicing on (unset means on).</summary>
    public static bool IsEnabledByEnvironment(string? value) =>
        value?.Trim().ToUpperInvariant() is not ("0" or "FALSE" or "OFF" or "NO");

    /// <summary>An empty pipe, or null when splicing is off or no pipe can be made (the caller then uses a buffer).</summary>
    public SplicePipe? Rent()
    {
        if (!_enabled)
        {
            return null;
        }

        SplicePipe? pipe = null;
        lock (_lock)
        {
            if (_count > 0)
            {
                pipe = _pipes[--_count];
                _pipes[_count] = null;
            }
        }

        pipe ??= Create();
        if (pipe is null)
        {
            return null;
        }

        pipe.IsRented = true;
        Interlocked.Increment(ref _rented);
        Interlocked.Increment(ref _totalRented);
        return pipe;
    }

    /// <summary>
    /// Takes a pipe back: pooled only when it is empty (bytes left in it belong to a stream that failed), else closed.
    /// </summary>
    public void Return(SplicePipe pipe)
    {
        if (!pipe.IsRented)
        {
            Interlocked.Increment(ref _badReturns);
            return;
        }

        pipe.IsRented = false;
        Interlocked.Decrement(ref _rented);
        if (pipe.Length == 0)
        {
            lock (_lock)
            {
                if (_count < _pipes.Length)
                {
                    _pipes[_count++] = pipe;
                    return;
                }
            }
        }

        pipe.Dispose();
        Interlocked.Decrement(ref _open);
    }

    /// <summary>Counts one move of a pipe's bytes into a buffer (see <see cref="Spills"/>).</summary>
    public void OnSpilled() => Interlocked.Increment(ref _spills);

    /// <summary>Stops splicing for good (the kernel cannot do it here); pipes already rented finish their turn.</summary>
    public void Disable() => _enabled = false;

    private SplicePipe? Create()
    {
        if (!SpliceInterop.TryCreatePipe(out var readFd, out var writeFd))
        {
            if (SpliceInterop.IsUnsupported(SpliceInterop.LastError))
            {
                Disable();
            }

            return null;
        }

        var capacity = SpliceInterop.SetPipeSize(writeFd, _pipeSize);
        if (capacity <= 0)
        {
            _ = SpliceInterop.Close(readFd);
            _ = SpliceInterop.Close(writeFd);
            return null;
        }

        Interlocked.Increment(ref _created);
        Interlocked.Increment(ref _open);
        return new SplicePipe(readFd, writeFd, capacity);
    }
}
