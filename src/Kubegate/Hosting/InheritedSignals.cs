using System.Runtime.InteropServices;

namespace Kubegate.Hosting;

/// <summary>
/// Undoes the signal dispositions and mask kubegate inherited for the signals it handles (SIGHUP, SIGINT, SIGQUIT,
/// SIGTERM, SIGUSR1). Started under <c>nohup</c> (SIGHUP ignored) or as a shell script's background job (SIGINT and
/// SIGQUIT ignored), the process inherits them as ignored across exec, and .NET's <see cref="PosixSignalRegistration"/>
/// deliberately leaves an ignored signal ignored: <c>kill -HUP</c> would then reload nothing and a second Ctrl-C
/// would not cut the drain short. HAProxy and nginx install their handlers whatever they inherited; so does kubegate.
/// </summary>
/// <remarks>
/// Runs first in <c>Main</c>: across exec a disposition can only be default or ignored, so setting it to the default
/// is exactly "forget what the parent ignored", and every registration made afterwards (the placeholders here, the
/// real handlers later) installs its handler over it.
/// </remarks>
internal static partial class InheritedSignals
{
    // Linux numbers (x86-64 and arm64 share them); macOS and the BSDs number SIGUSR1 differently, and kubegate's
    // data path needs Linux anyway.
    private const int SigHup = 1;
    private const int SigInt = 2;
    private const int SigQuit = 3;
    private const int SigUsr1 = 10;
    private const int SigTerm = 15;
    private const int SigUnblock = 1;
    private const nint SigDfl = 0;

    private static readonly int[] Handled = [SigHup, SigInt, SigQuit, SigUsr1, SigTerm];

    // Held for the life of the process: see Reset.
    private static readonly List<PosixSignalRegistration> Placeholders = [];

    /// <summary>Sets each handled signal to its default disposition and unblocks it.</summary>
    public static void Reset()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        foreach (var signal in Handled)
        {
            _ = SetDisposition(signal, SigDfl);
        }

        Unblock();

        // SIGHUP and SIGUSR1 end a process by default, and their real handlers (reload, reopen logs) register only once
        // the configuration is loaded: until then one of them (logrotate's postrotate, a reload from a script) must be
        // ignored, not fatal. Handlers of one signal all run, and any that cancels keeps the default action away.
        Placeholders.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, static context => context.Cancel = true));
        Placeholders.Add(PosixSignalRegistration.Create((PosixSignal)SigUsr1, static context => context.Cancel = true));
    }

    /// <summary>A blocked signal stays pending instead of reaching the handler: unblock the handled ones for this thread and those it starts.</summary>
    private static unsafe void Unblock()
    {
        // glibc's sigset_t: 1024 bits, signal n is bit n - 1 of the first word.
        var set = stackalloc ulong[16];
        new Span<ulong>(set, 16).Clear();
        foreach (var signal in Handled)
        {
            set[0] |= 1UL << (signal - 1);
        }

        _ = SigProcMask(SigUnblock, set, null);
    }

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint SetDisposition(int signal, nint handler);

    [LibraryImport("libc", EntryPoint = "sigprocmask")]
    private static unsafe partial int SigProcMask(int how, ulong* set, ulong* oldSet);
}
