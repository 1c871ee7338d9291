using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Kubegate.Hosting;

/// <summary>The two shapes of kubegate's lines on standard output.</summary>
internal enum ConsoleLogStyle
{
    /// <summary><c>2026-12-07 16:00:00.000 warn: kubegate.config[802] message</c>: a terminal or a log file.</summary>
    Timestamped,

    /// <summary><c>&lt;4&gt;kubegate.config[802] message</c>: the journal adds its own timestamps and reads the priority.</summary>
    Journal,
}

/// <summary>
/// kubegate's console log: one line per entry, in the shapes of Microsoft.Extensions.Logging.Console's simple formatter
/// (single line, local timestamp) and its systemd formatter, written by one background thread so that a slow reader of
/// standard output does not stall the thread that logs (a reactor, say) until 2,500 lines wait.
/// </summary>
/// <remarks>
/// Written here rather than taken from Microsoft.Extensions.Logging.Console: in the NativeAOT build that package's
/// options plumbing (configuration binding and options monitors, resolved by reflection) allocated 1.5 MB at start-up
/// that an idle kubegate kept resident, 7 % of its memory (bench W5), for no line it writes differently.
/// </remarks>
internal sealed class ConsoleLogProvider : ILoggerProvider
{
    /// <summary>As the package's processor: beyond this many waiting lines a logging thread waits for the writer.</summary>
    internal const int MaxQueuedLines = 2500;

    private readonly ConsoleLogStyle _style;
    private readonly bool _colors;
    private readonly TextWriter _output;
    private readonly TimeProvider _clock;
    private readonly BlockingCollection<string> _queue = new(MaxQueuedLines);
    private readonly Thread _writer;
    private readonly Lock _directWrites = new();

    public ConsoleLogProvider(ConsoleLogStyle style, bool colors, TextWriter output, TimeProvider? clock = null)
    {
        _style = style;
        _colors = colors && style == ConsoleLogStyle.Timestamped;
        _output = output;
        _clock = clock ?? TimeProvider.System;
        _writer = new Thread(WriteLines) { IsBackground = true, Name = "Console logger" };
        _writer.Start();
    }

    /// <summary>
    /// Colours for the level word when standard output is a terminal, as the package decides by default, unless the
    /// NO_COLOR convention asks for none.
    /// </summary>
    public static bool TerminalWantsColors() =>
        !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    public ILogger CreateLogger(string categoryName) => new ConsoleLogger(categoryName, this);

    /// <summary>Writes the waiting lines (for at most 1.5 s, as the package) and then writes the late ones directly.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        _writer.Join(TimeSpan.FromMilliseconds(1500));
    }

    /// <summary>One entry as its line, ending in a newline; null for an entry with neither message nor exception.</summary>
    internal static string? FormatLine(ConsoleLogStyle style, bool colors, DateTimeOffset now, LogLevel level, string category, int eventId, string? message, Exception? exception)
    {
        if (string.IsNullOrEmpty(message) && exception is null)
        {
            return null;
        }

        var line = new StringBuilder(64 + category.Length + (message?.Length ?? 0));
        if (style == ConsoleLogStyle.Journal)
        {
            line.Append(LevelStyle(level).Priority).Append(category);
        }
        else
        {
            line.Append(now.ToString("yyyy-MM-dd HH:mm:ss.fff ", CultureInfo.InvariantCulture));
            var look = LevelStyle(level);
            if (colors)
            {
                line.Append(look.Color).Append(look.Word).Append(ResetColor);
            }
            else
            {
                line.Append(look.Word);
            }

            line.Append(": ").Append(category);
        }

        line.Append('[').Append(eventId).Append(']');
        AppendOneLine(line, message);
        AppendOneLine(line, exception?.ToString());
        return line.Append('\n').ToString();
    }

    private void Enqueue(string line)
    {
        if (!_queue.IsAddingCompleted)
        {
            try
            {
                _queue.Add(line);
                return;
            }
            catch (InvalidOperationException)
            {
                // Disposed between the check and the add: written directly below.
            }
        }

        lock (_directWrites)
        {
            Write(line);
        }
    }

    private void WriteLines()
    {
        foreach (var line in _queue.GetConsumingEnumerable())
        {
            lock (_directWrites)
            {
                Write(line);
            }
        }
    }

    private void Write(string line)
    {
        try
        {
            _output.Write(line);
            _output.Flush();
        }
        catch (IOException)
        {
            // Standard output closed (the reader went away): the line is lost, the proxy goes on.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The message on the entry's one line: a space before it, its line breaks turned into spaces.</summary>
    private static void AppendOneLine(StringBuilder line, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        var start = line.Length + 1;
        line.Append(' ').Append(text);
        line.Replace("\r\n", " ", start, line.Length - start);
        line.Replace('\n', ' ', start, line.Length - start);
    }

    /// <summary>
    /// Per level, from Trace to Critical: the package's level word; systemd's priority (sd-daemon(3): debug 7, info 6,
    /// warning 4, err 3, crit 2); the package's colours in ANSI (grey, green, yellow; errors black on red, critical
    /// white on red).
    /// </summary>
    private static readonly (string Word, string Priority, string Color)[] Levels =
    [
        ("trce", "<7>", "\e[37m"),
        ("dbug", "<7>", "\e[37m"),
        ("info", "<6>", "\e[32m"),
        ("warn", "<4>", "\e[1m\e[33m"),
        ("fail", "<3>", "\e[41m\e[30m"),
        ("crit", "<2>", "\e[41m\e[1m\e[37m"),
    ];

    private static (string Word, string Priority, string Color) LevelStyle(LogLevel level) =>
        Levels[Math.Clamp((int)level, (int)LogLevel.Trace, (int)LogLevel.Critical)];

    private const string ResetColor = "\e[39m\e[22m\e[49m";

    private sealed class ConsoleLogger(string category, ConsoleLogProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var now = provider._clock.GetLocalNow();
            var line = FormatLine(provider._style, provider._colors, now, logLevel, category, eventId.Id, formatter(state, exception), exception);
            if (line is not null)
            {
                provider.Enqueue(line);
            }
        }
    }
}
