namespace Kubegate.Hosting;

/// <summary>
/// Settings of the .NET socket engine that must be in place before the first socket exists, because the engine reads
/// them once, from the environment, when it starts.
/// </summary>
internal static class SocketEngineDefaults
{
    /// <summary>The runtime's switch: socket continuations run on the epoll thread instead of the thread pool.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Turns on inline socket completions unless the environment already chose. A proxied read is a few non-blocking
    /// syscalls; handing each one from the epoll thread to a pool thread costs more CPU than the work itself (a
    /// thread wake-up and a queue round trip per event). Nothing kubegate runs on a socket continuation blocks: the
    /// copy and splice loops use non-blocking calls, logging and access logs go through queues, and Kestrel (admin)
    /// dispatches to its own scheduler. The engine also gets one epoll thread per core in this mode.
    /// Operators can still set the variable to 0.
    /// </summary>
    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(InlineCompletionsVariable) is not null)
        {
            return;
        }

        Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
    }
}
