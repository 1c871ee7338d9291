using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Kubegate.Configuration;
using Kubegate.Configuration.Watching;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Reload;

/// <summary>
/// kubegate in-process as serve mode runs it (server + <see cref="ConfigReloadService"/>) on a real config directory
/// in a temporary folder, with helpers to change the files the ways operators do and to await the resulting reload.
/// </summary>
internal sealed class ReloadTestHost : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<ReloadResult> _results = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _ownsDirectory;
    private ConfigReloadService? _service;

    /// <param name="directory">An existing config directory to use (and leave in place at dispose, for a restart on the same files); null creates a temporary one.</param>
    public ReloadTestHost(string? directory = null)
    {
        _ownsDirectory = directory is null;
        Directory = directory ?? System.IO.Directory.CreateTempSubdirectory("kubegate-reload-").FullName;
    }

    public string Directory { get; }

    public LogCollector Logs { get; } = new();

    public KubegateServer Server { get; private set; } = null!;

    public ConfigReloader Reloader => _service!.Reloader!;

    /// <summary>Loads the files written so far, starts the server and the reload service, and waits out the start-up check.</summary>
    public async Task StartAsync(TimeSpan? drainTime = null)
    {
        var loader = new ConfigLoader(new ConfigLoaderOptions { WorkingDirectory = Directory });
        var initial = ConfigFileSet.Load(loader, "envoy.yaml");
        Assert.True(initial.Result.Succeeded, string.Join("\n", initial.Result.Problems));
        Server = new KubegateServer(initial.Snapshot!, new KubegateServerOptions { DrainTime = drainTime ?? TimeSpan.FromSeconds(30) }, Logs);
        await Server.StartAsync().DefaultTimeout();
        _service = new ConfigReloadService(Server, loader, initial, Logs);
        await _service.StartAsync(CancellationToken.None).DefaultTimeout();
        Reloader.Completed += OnCompleted;
        await Reloader.ReloadAllAsync(force: false).DefaultTimeout();
    }

    /// <summary>How many reload results were seen so far; pass it to <see cref="NextAsync"/>.</summary>
    public int Mark()
    {
        lock (_lock)
        {
            return _results.Count;
        }
    }

    /// <summary>
    /// The first result after <paramref name="mark"/> of <paramref name="subscription"/> that did something (not
    /// "unchanged": a write raises several events and the later ones find the hash unchanged).
    /// </summary>
    public async Task<ReloadResult> NextAsync(int mark, string subscription, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                var found = _results.Skip(mark).FirstOrDefault(r => r.Subscription == subscription && r.Outcome != ReloadOutcome.Unchanged);
                if (found is not null)
                {
                    return found;
                }

                changed = _changed.Task;
            }

            await changed.TimeoutAfter(Kubegate.Testing.TaskExtensions.DefaultTimeoutValue, file, line);
        }
    }

    /// <summary>Writes over the file where it is (truncate, write), as an editor or <c>kubectl cp</c> does.</summary>
    public void WriteInPlace(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content, new UTF8Encoding(false));
    }

    /// <summary>Writes a temporary file beside it and renames it into place (<c>mv tmp lds.yaml</c>).</summary>
    public void WriteAtomic(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        File.WriteAllText(temp, content, new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Writes a ConfigMap-style directory as the kubelet does: the files in a fresh <c>..&lt;version&gt;</c> directory,
    /// <c>..data</c> pointing at it (created, or swapped by renaming a new link over it), and each name a link to
    /// <c>..data/name</c>.
    /// </summary>
    public void WriteConfigMap(string directory, string version, IReadOnlyDictionary<string, string> files)
    {
        var root = Path.Combine(Directory, directory);
        var data = System.IO.Directory.CreateDirectory(Path.Combine(root, ".." + version)).FullName;
        foreach (var (name, content) in files)
        {
            File.WriteAllText(Path.Combine(data, name), content, new UTF8Encoding(false));
        }

        var link = Path.Combine(root, "..data");
        if (!Path.Exists(link))
        {
            File.CreateSymbolicLink(link, ".." + version);
        }
        else
        {
            var temp = Path.Combine(root, "..data_tmp");
            File.CreateSymbolicLink(temp, ".." + version);
            if (NativeMethods.rename(temp, link) != 0)
            {
                throw new IOException($"rename {temp} -> {link} failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        foreach (var name in files.Keys)
        {
            var file = Path.Combine(root, name);
            if (!Path.Exists(file))
            {
                File.CreateSymbolicLink(file, Path.Combine("..data", name));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.StopAsync(CancellationToken.None);
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (!_ownsDirectory)
        {
            return;
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void OnCompleted(ReloadResult result)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _results.Add(result);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private static class NativeMethods
    {
#pragma warning disable SYSLIB1054 // rename(2) of the link itself, as the kubelet swaps ..data; LibraryImport needs unsafe code here.
        [DllImport("libc", SetLastError = true)]
        public static extern int rename([MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath);
#pragma warning restore SYSLIB1054
    }
}
