using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Kubegate.Infrastructure;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.LogFiles;

/// <summary>
/// One log file (or stdout/stderr), shared by everything that writes to that path: access logs, health event logs
/// and the admin access log (<see cref="LogFileSet"/> hands out one per path, so every reopen path reaches every
/// file). Writers only enqueue a rendered line (<see cref="TryEnqueue"/>, never blocking: a full queue drops the line
/// and counts it); one background task drains the queue into the file, opened for append.
/// </summary>
/// <remarks>
/// Lines are batched in a 64 KiB buffer written out at most once a second (at once when the file was quiet for a
/// second), when the buffer fills, on reopen and at shutdown. Envoy buffers for <c>--file-flush-interval-msec</c> (10 s by default); kubegate's 1 s bound keeps
/// lines timely for <c>tail -f</c>. A write error (full disk, permission lost) counts <c>filesystem.write_failed</c>,
/// drops the lines it could not write (<c>access_log.lines_dropped</c>), logs one warning until a write succeeds
/// again, and the next line reopens the file: the proxy never notices. An <c>immediate</c> writer (health events,
/// admin requests: rare lines someone tails) writes out as soon as its queue is empty instead of batching.
/// </remarks>
internal sealed partial class LogFileWriter : IAsyncDisposable
{
    /// <summary>Lines a destination may hold before new ones are dropped (a few MiB of typical lines).</summary>
    public const int DefaultQueueCapacity = 16 * 1024;

    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    // A line that is not a line: asks the drain loop to reopen the file (compared by reference).
    private static readonly string ReopenMarker = new('\0', 1);

    // Flush markers: lines that are not lines, one string instance per FlushAsync (found by reference), each asking
    // the drain loop to write out what it holds and then complete that call.
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _flushWaiters = new(ReferenceEqualityComparer.Instance);

    private readonly Channel<string> _queue;
    private readonly Func<Stream>? _standardStream;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Counter _writeFailed;
    private readonly Counter _reopenFailed;
    private readonly Counter _flushedByTimer;
    private readonly Counter _writeBuffered;
    private readonly Counter _dropped;
    private readonly Task _drain;
    private readonly bool _immediate;
    private int _reopenRequested;
    private Stream? _stream;
    private byte[] _buffer = [];
    private int _buffered;
    private int _bufferedLines;
    private bool _failing;

    private LogFileWriter(string path, Func<Stream>? standardStream, StatsStore stats, ILogger logger, TimeProvider time, int capacity, Stream? opened, bool immediate = false)
    {
        Path = path;
        _standardStream = standardStream;
        _logger = logger;
        _time = time;
        _writeFailed = stats.Counter("filesystem.write_failed");
        _reopenFailed = stats.Counter("filesystem.reopen_failed");
        _flushedByTimer = stats.Counter("filesystem.flushed_by_timer");
        _writeBuffered = stats.Counter("filesystem.write_buffered");
        _dropped = stats.Counter("access_log.lines_dropped");
        _queue = Channel.CreateBounded<string>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
        _stream = opened;
        _immediate = immediate;
        _drain = Task.Run(DrainAsync);
    }

    /// <summary>The file path, or <c>stdout</c> / <c>stderr</c>.</summary>
    public string Path { get; }

    /// <summary>A writer appending to <paramref name="path"/>; throws when the file cannot be opened for append.</summary>
    /// <param name="path">The file.</param>
    /// <param name="stats">Where <c>filesystem.*</c> and <c>access_log.lines_dropped</c> are counted.</param>
    /// <param name="logger">Where write problems go.</param>
    /// <param name="time">The clock of the flush interval.</param>
    /// <param name="capacity">Lines queued before new ones are dropped.</param>
    /// <param name="immediate">Write each line out as soon as the queue is empty (no batching).</param>
    public static LogFileWriter OpenFile(string path, StatsStore stats, ILogger logger, TimeProvider? time = null, int capacity = DefaultQueueCapacity, bool immediate = false) =>
        new(path, null, stats, logger, time ?? TimeProvider.System, capacity, OpenForAppend(path), immediate);

    /// <summary>A writer to the process's stdout or stderr (<c>/dev/stdout</c> and <c>/dev/stderr</c> map here too).</summary>
    public static LogFileWriter OpenStandard(bool stderr, StatsStore stats, ILogger logger, TimeProvider? time = null) =>
        new(
            stderr ? "stderr" : "stdout",
            stderr ? Console.OpenStandardError : Console.OpenStandardOutput,
            stats,
            logger,
            time ?? TimeProvider.System,
            DefaultQueueCapacity,
            null);

    /// <summary>Opens <paramref name="path"/> for append (created if missing; others may read, rotate or delete it).</summary>
    public static FileStream OpenForAppend(string path) =>
        new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

    /// <summary>Queues one rendered line (it carries its own newline). Never blocks; false when it was dropped.</summary>
    public bool TryEnqueue(string line)
    {
        if (_queue.Writer.TryWrite(line))
        {
            _writeBuffered.Increment();
            return true;
        }

        _dropped.Increment();
        return false;
    }

    /// <summary>
    /// Closes the file and opens the path again (after logrotate moved it away): lines queued before go to the old
    /// file or the new one, none is lost. Returns at once; the drain task does the work.
    /// </summary>
    public void Reopen()
    {
        if (_standardStream is not null)
        {
            return;
        }

        Interlocked.Exchange(ref _reopenRequested, 1);

        // Wakes the drain loop; if the queue is full the flag alone does it at the next line.
        _queue.Writer.TryWrite(ReopenMarker);
    }

    /// <summary>
    /// Completes once every line queued before the call is written to the file (for writers whose callers must see
    /// the line on disk when they are done, such as the admin access log).
    /// </summary>
    public Task FlushAsync()
    {
        var marker = new string('\0', 1);
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _flushWaiters[marker] = waiter;
        if (!_queue.Writer.TryWrite(marker) && _flushWaiters.TryRemove(marker, out _))
        {
            // Full (lines are being dropped anyway) or closed (disposal writes out the rest): do not wait.
            waiter.TrySetResult();
        }

        return waiter.Task;
    }

    /// <summary>Writes out what is queued, flushes and closes.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _drain.ConfigureAwait(false);
    }

    private async Task DrainAsync()
    {
        _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var reader = _queue.Reader;
        Task<bool>? waiting = null;
        var lastFlush = _time.GetTimestamp();
        try
        {
            while (true)
            {
                List<TaskCompletionSource>? flushed = null;
                while (reader.TryRead(out var line))
                {
                    if (ReferenceEquals(line, ReopenMarker))
                    {
                        continue;
                    }

                    if (line.Length == 1 && _flushWaiters.TryRemove(line, out var waiter))
                    {
                        (flushed ??= []).Add(waiter);
                        continue;
                    }

                    if (Interlocked.Exchange(ref _reopenRequested, 0) != 0)
                    {
                        DoReopen();
                    }

                    Append(line);
                }

                if (Interlocked.Exchange(ref _reopenRequested, 0) != 0)
                {
                    DoReopen();
                    lastFlush = _time.GetTimestamp();
                }

                if (flushed is not null)
                {
                    // Each caller's lines were queued before its marker: all of them are appended by now.
                    Flush();
                    lastFlush = _time.GetTimestamp();
                    flushed.ForEach(w => w.TrySetResult());
                }

                // At most one write per interval: a line after a quiet second goes out at once, a burst is batched.
                if (_buffered > 0 && (_immediate || _time.GetElapsedTime(lastFlush) >= FlushInterval))
                {
                    Flush();
                    lastFlush = _time.GetTimestamp();
                }

                waiting ??= reader.WaitToReadAsync().AsTask();
                if (!waiting.IsCompleted && _buffered > 0)
                {
                    var remaining = FlushInterval - _time.GetElapsedTime(lastFlush);
                    if (remaining > TimeSpan.Zero)
                    {
                        await Task.WhenAny(waiting, Task.Delay(remaining, _time)).ConfigureAwait(false);
                    }

                    if (!waiting.IsCompleted)
                    {
                        _flushedByTimer.Increment();
                        Flush();
                        lastFlush = _time.GetTimestamp();
                    }
                }

                if (!await waiting.ConfigureAwait(false))
                {
                    break;
                }

                waiting = null;
            }
        }
        finally
        {
            Flush();
            CloseStream();
            ArrayPool<byte>.Shared.Return(_buffer);
            foreach (var marker in _flushWaiters.Keys)
            {
                if (_flushWaiters.TryRemove(marker, out var waiter))
                {
                    waiter.TrySetResult();
                }
            }
        }
    }

    private void Append(string line)
    {
        var max = Encoding.UTF8.GetMaxByteCount(line.Length);
        if (_buffer.Length - _buffered < max)
        {
            Flush();
            if (_buffer.Length < max)
            {
                // A huge line (a long format): write it on its own.
                WriteOut(Encoding.UTF8.GetBytes(line), 1);
                return;
            }
        }

        _buffered += Encoding.UTF8.GetBytes(line, _buffer.AsSpan(_buffered));
        _bufferedLines++;
    }

    private void Flush()
    {
        if (_buffered == 0)
        {
            return;
        }

        var lines = _bufferedLines;
        var count = _buffered;
        _buffered = 0;
        _bufferedLines = 0;
        WriteOut(_buffer.AsSpan(0, count), lines);
    }

    private void WriteOut(ReadOnlySpan<byte> data, int lines)
    {
        try
        {
            var stream = _stream ??= Open();
            stream.Write(data);
            stream.Flush();
            if (_failing)
            {
                _failing = false;
                Log.WriteRecovered(_logger, Path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ObjectDisposedException)
        {
            _writeFailed.Increment();
            _dropped.Add(lines);
            if (!_failing)
            {
                _failing = true;
                Log.WriteFailed(_logger, Path, ex.Message);
            }

            // A stream that failed may keep failing (a closed pipe, a revoked handle): the next line opens it again.
            CloseStream();
        }
    }

    private Stream Open() => _standardStream is { } standard ? standard() : OpenForAppend(Path);

    private void DoReopen()
    {
        Flush();
        CloseStream();
        try
        {
            _stream = Open();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _reopenFailed.Increment();
            Log.ReopenFailed(_logger, Path, ex.Message);
        }
    }

    private void CloseStream()
    {
        var stream = _stream;
        _stream = null;
        if (stream is null)
        {
            return;
        }

        try
        {
            stream.Dispose();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing buffered in the stream itself (bufferSize 0): a failed close loses nothing.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.AccessLogWriteFailed, LogLevel.Warning, "log file {Path}: write failed, dropping lines until it works again: {Message}", EventName = "AccessLogWriteFailed")]
        public static partial void WriteFailed(ILogger logger, string path, string message);

        [LoggerMessage(EventIds.AccessLogWriteRecovered, LogLevel.Information, "log file {Path}: writing again", EventName = "AccessLogWriteRecovered")]
        public static partial void WriteRecovered(ILogger logger, string path);

        [LoggerMessage(EventIds.AccessLogReopenFailed, LogLevel.Warning, "log file {Path}: reopen failed (retried at the next line): {Message}", EventName = "AccessLogReopenFailed")]
        public static partial void ReopenFailed(ILogger logger, string path, string message);
    }
}
