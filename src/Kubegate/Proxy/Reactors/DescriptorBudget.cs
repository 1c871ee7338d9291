namespace Kubegate.Proxy.Reactors;

/// <summary>
/// Keeps descriptors in reserve for everything that is not a proxied connection: the admin interface, health
/// checks, log files, reloads. Acceptors stop accepting (the connections wait in the listen backlog) while the data
/// path's descriptors plus the process's other ones would leave fewer than <see cref="Reserve"/> free under
/// RLIMIT_NOFILE, so running out of descriptors never takes the admin interface or the health checks with it.
/// </summary>
/// <remarks>
/// Counting the process's descriptors exactly (listing /proc/self/fd) costs far too much per accept, so the data path
/// counts its own (two per connection, two per pipe) and adds the rest as last counted. Only when that sum comes
/// within twice the reserve is the rest counted again (at most every <see cref="RecountMilliseconds"/>), since it grows after
/// start-up: listeners, the admin server, log files, and in a framework-dependent build every assembly the runtime
/// loads.
/// </remarks>
internal sealed class DescriptorBudget
{
    /// <summary>Descriptors kept free for the admin interface, health checks, log files and reloads.</summary>
    public const int Reserve = 64;

    private const long RecountMilliseconds = 100;

    private readonly Func<long> _dataPathDescriptors;
    private readonly Func<long> _countOpen;
    private long _others;
    private long _countedAt;

    /// <param name="dataPathDescriptors">The descriptors the data path holds now (connections and pipes).</param>
    /// <param name="limit">RLIMIT_NOFILE; null reads it.</param>
    /// <param name="countOpen">Counts every descriptor the process has open; null lists /proc/self/fd.</param>
    public DescriptorBudget(Func<long> dataPathDescriptors, long? limit = null, Func<long>? countOpen = null)
    {
        _dataPathDescriptors = dataPathDescriptors;
        _countOpen = countOpen ?? CountOpenDescriptors;
        Limit = limit ?? Native.FileLimit();

        // Counted at the first accept rather than here: by then the listeners, the admin server and the log files are
        // open, which start-up adds after the reactors exist.
        _others = -1;
    }

    public long Limit { get; }

    /// <summary>The descriptors outside the data path as last counted.</summary>
    public long Others => Volatile.Read(ref _others);

    /// <summary>The data path's descriptors now.</summary>
    public long DataPath => _dataPathDescriptors();

    /// <summary>
    /// True while one more proxied connection (two descriptors) leaves the reserve untouched. Called by every
    /// reactor's acceptors; a racy recount only makes the figure a little older.
    /// </summary>
    public bool HasRoomForConnection
    {
        get
        {
            if (Limit == long.MaxValue)
            {
                return true;
            }

            // Far from the limit (a second reserve's worth of margin for what the others grew since they were
            // counted): no recount.
            var dataPath = _dataPathDescriptors();
            if (Volatile.Read(ref _others) < 0)
            {
                Volatile.Write(ref _others, Math.Max(0, _countOpen() - dataPath));
            }

            if (dataPath + 2 + Volatile.Read(ref _others) + (2 * Reserve) <= Limit)
            {
                return true;
            }

            var now = Environment.TickCount64;
            if (now - Volatile.Read(ref _countedAt) >= RecountMilliseconds)
            {
                Volatile.Write(ref _countedAt, now);
                Volatile.Write(ref _others, Math.Max(0, _countOpen() - dataPath));
            }

            return dataPath + 2 + Volatile.Read(ref _others) + Reserve <= Limit;
        }
    }

    private static long CountOpenDescriptors()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount();
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
