using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// Polling for state that raises no event (stats, gauges): checks every 10 ms until true or the deadline passes.
/// Prefer awaiting a real event; use this only where the product offers none.
/// </summary>
internal static class Wait
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    public static Task UntilAsync(Func<bool> condition, [CallerArgumentExpression(nameof(condition))] string what = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        UntilAsync(condition, Kubegate.Testing.TaskExtensions.DefaultTimeoutValue, what, file, line);

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, [CallerArgumentExpression(nameof(condition))] string what = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        PollAsync(() => new ValueTask<bool>(condition()), timeout, PollInterval, what, file, line);

    /// <summary>As above, for a condition that must be fetched (an admin endpoint); polls every 100 ms.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, [CallerArgumentExpression(nameof(condition))] string what = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        PollAsync(async () => await condition(), timeout, PollInterval * 10, what, file, line);

    /// <summary>Waits until a stat reaches <paramref name="expected"/>; fails with the last value seen.</summary>
    public static async Task ForStatAsync(Kubegate.Stats.StatsStore stats, string name, long expected, TimeSpan? timeout = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        try
        {
            await UntilAsync(() => stats.GetValue(name) == expected, timeout ?? Kubegate.Testing.TaskExtensions.DefaultTimeoutValue, name, file, line);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Path.GetFileName(file)}:{line}: stat {name} is {stats.GetValue(name)}, expected {expected}.");
        }
    }

    private static async Task PollAsync(Func<ValueTask<bool>> condition, TimeSpan timeout, TimeSpan interval, string what, string file, int line)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (stopwatch.Elapsed > timeout)
            {
                throw new TimeoutException($"{Path.GetFileName(file)}:{line}: '{what}' still false after {timeout.TotalSeconds} s.");
            }

            await Task.Delay(interval);
        }
    }
}
