using System.Runtime.CompilerServices;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// Awaiting with a deadline that names the awaiting line, as YARP's and Kestrel's <c>DefaultTimeout()</c> do. A hung
/// test fails with "timed out at File.cs:42" instead of hanging the run.
/// </summary>
internal static class TaskTimeoutExtensions
{
    /// <summary>Long enough for a loaded 2-core CI machine, short enough that a hang fails the run quickly.</summary>
    public static readonly TimeSpan DefaultTimeoutValue = TimeSpan.FromSeconds(15);

    public static Task DefaultTimeout(this Task task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.TimeoutAfter(DefaultTimeoutValue, file, line);

    public static Task<T> DefaultTimeout<T>(this Task<T> task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.TimeoutAfter(DefaultTimeoutValue, file, line);

    public static Task DefaultTimeout(this ValueTask task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.AsTask().TimeoutAfter(DefaultTimeoutValue, file, line);

    public static Task<T> DefaultTimeout<T>(this ValueTask<T> task, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        task.AsTask().TimeoutAfter(DefaultTimeoutValue, file, line);

    public static async Task TimeoutAfter(this Task task, TimeSpan timeout, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        try
        {
            await task.WaitAsync(timeout);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException(Message(timeout, file, line));
        }
    }

    public static async Task<T> TimeoutAfter<T>(this Task<T> task, TimeSpan timeout, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        try
        {
            return await task.WaitAsync(timeout);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException(Message(timeout, file, line));
        }
    }

    private static string Message(TimeSpan timeout, string file, int line) =>
        $"The operation at {Path.GetFileName(file)}:{line} did not complete within {timeout.TotalSeconds} s.";
}
