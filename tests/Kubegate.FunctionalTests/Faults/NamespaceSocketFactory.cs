using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// Makes sockets inside a named network namespace from this (multi-threaded) test process: one dedicated thread
/// enters the namespace with setns(2) and creates every socket asked for; a socket belongs to the namespace it was
/// created in for its whole life, so connects, reads and writes then run on any thread, with the usual async APIs.
/// </summary>
/// <remarks>
/// Why a thread and not a helper process running the clients: setns(CLONE_NEWNET) changes only the calling thread
/// (allowed in a multi-threaded process, unlike mount or user namespaces), and a socket keeps the namespace of its
/// creation, so the test keeps its own assertions, checksums and timeouts in-process. The thread is never a pool
/// thread and never runs anything but socket(2), so no other code ever runs in the namespace by accident.
/// </remarks>
internal sealed class NamespaceSocketFactory : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private readonly BlockingCollection<(AddressFamily Family, TaskCompletionSource<Socket> Result)> _requests = new();
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;

    public NamespaceSocketFactory(string networkNamespace)
    {
        _thread = new Thread(() => Run(networkNamespace)) { IsBackground = true, Name = "netns " + networkNamespace };
        _thread.Start();
    }

    public async Task<Socket> CreateAsync(AddressFamily family)
    {
        await _entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var result = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add((family, result));
        return await result.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        _requests.CompleteAdding();

        // The thread holds a reference to the namespace until it ends: join it, so deleting the namespace frees it.
        _thread.Join(TimeSpan.FromSeconds(10));
        _requests.Dispose();
    }

    private void Run(string networkNamespace)
    {
        try
        {
            using (var handle = File.OpenHandle(Path.Combine("/run/netns", networkNamespace)))
            {
                if (SetNamespace(handle.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                {
                    throw new IOException($"setns({networkNamespace}): errno {Marshal.GetLastPInvokeError()}");
                }
            }

            _entered.TrySetResult();
        }
        catch (Exception ex)
        {
            _entered.TrySetException(ex);
            return;
        }

        foreach (var (family, result) in _requests.GetConsumingEnumerable())
        {
            try
            {
                result.TrySetResult(new Socket(family, SocketType.Stream, ProtocolType.Tcp));
            }
            catch (Exception ex)
            {
                result.TrySetException(ex);
            }
        }
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in the test project for one call.
    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNamespace(int fd, int nstype);
#pragma warning restore SYSLIB1054
}
