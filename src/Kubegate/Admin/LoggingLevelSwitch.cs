using Microsoft.Extensions.Logging;

namespace Kubegate.Admin;

/// <summary>
/// The minimum log level, changeable at run time by <c>POST /logging?level=</c>. The host's logging consults it
/// through a filter (<c>AddFilter((category, level) =&gt; @switch.IsEnabled(level))</c>), so a change applies to every
/// logger at once.
/// </summary>
internal sealed class LoggingLevelSwitch
{
    /// <summary>Envoy's level names, in order, as <c>/logging</c> accepts and prints them.</summary>
    public static readonly string[] LevelNames = ["trace", "debug", "info", "warning", "error", "critical", "off"];

    private int _level;

    public LoggingLevelSwitch(LogLevel level = LogLevel.Information) => _level = (int)level;

    public LogLevel Level
    {
        get => (LogLevel)Volatile.Read(ref _level);
        set => Volatile.Write(ref _level, (int)value);
    }

    public bool IsEnabled(LogLevel level) => level != LogLevel.None && level >= Level;

    /// <summary>Envoy's name of a level (<c>info</c>, <c>warning</c>, …).</summary>
    public static string ToName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        LogLevel.Critical => "critical",
        _ => "off",
    };

    public static bool TryParse(string name, out LogLevel level)
    {
        level = name switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "info" => LogLevel.Information,
            "warning" or "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "critical" => LogLevel.Critical,
            "off" => LogLevel.None,
            _ => (LogLevel)(-1),
        };
        return (int)level >= 0;
    }

    /// <summary><c>POST /logging</c>: with <c>?level=</c> sets the level; always lists the active loggers.</summary>
    public AdminResponse Handle(IReadOnlyDictionary<string, string> query)
    {
        if (query.TryGetValue("level", out var name))
        {
            if (!TryParse(name, out var level))
            {
                return AdminResponse.Text(Usage, 400);
            }

            Level = level;
        }
        else if (query.Count > 0)
        {
            return AdminResponse.Text(Usage, 400);
        }

        return AdminResponse.Text("active loggers:\n  kubegate: " + ToName(Level) + "\n");
    }

    private static string Usage =>
        "usage: /logging?level=<level> (change the level of all loggers)\nlevels: " + string.Join(", ", LevelNames) + "\n";
}
