using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Kubegate.Testing;

/// <summary>
/// Awaiting with a deadline that names the awaiting line, as YARP's and Kestrel's <c>DefaultTimeout()</c> do: a hung
/// test fails with "timed out at FooTests.cs:42" instead of hanging the run.
/// </summary>
public static class TaskExtensions
{
    /// <summary>
    /// 30 s: far above anything a passing test waits for on a loaded 2-core machine; 10 min when a debugger is
    /// attached, so stepping through a test does not trip it.
    /// </summary>
    public static TimeSpan DefaultTimeoutValue => Debugger.IsAttached ? TimeSpan.FromMinutes(10) : TimeSpan.FromSeconds(30);

    public static Task DefaultTimeout(this Task task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.TimeoutAfter(DefaultTimeoutValue, file, line);

    public static Task<T> DefaultTimeout<T>(this Task<T> task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.TimeoutAfter(DefaultTimeoutValue, file, line);

    public static Task DefaultTimeout(this ValueTask task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.AsTask().TimeoutAfter(DefaultTimeoutValue, file, line);

    public static Task<T> DefaultTimeout<T>(this ValueTask<T> task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.AsTask().TimeoutAfter(DefaultTimeoutValue, file, line);

    /// <summary>Awaits <paramref name="task"/>; throws a <see cref="TimeoutException"/> naming the caller if it takes longer than <paramref name="timeout"/>.</summary>
    public static async Task TimeoutAfter(this Task task, TimeSpan timeout, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException(Message(timeout, file, line));
        }
    }

    /// <summary>Awaits <paramref name="task"/>; throws a <see cref="TimeoutException"/> naming the caller if it takes longer than <paramref name="timeout"/>.</summary>
    public static async Task<T> TimeoutAfter<T>(this Task<T> task, TimeSpan timeout, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            return await task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException(Message(timeout, file, line));
        }
    }

    private static string Message(TimeSpan timeout, string file, int line) =>
        $"The operation at {Path.GetFileName(file)}:{line} did not complete within {timeout.TotalSeconds} s.";
}
