using System.Collections.Concurrent;
using Kubegate.Configuration.Watching;
using Kubegate.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.Configuration.Watching;

/// <summary>Real inotify on a temporary directory; each test awaits the callback (or the raw event) with a deadline.</summary>
public class ConfigFileWatcherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-watch-").FullName;
    private readonly ConcurrentQueue<string> _calls = new();
    private readonly TaskCompletionSource<string> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Watch_InPlaceWrite_CallsBackWithTheKey()
    {
        var file = Write("lds.yaml", "a");
        using var watcher = Watcher(TimeProvider.System);
        watcher.Watch([new WatchTarget("lds", _dir, "lds.yaml")]);

        await File.WriteAllTextAsync(file, "b");

        Assert.Equal("lds", await _next.Task.DefaultTimeout());
    }

    [Fact]
    public async Task Watch_AtomicMoveIntoPlace_CallsBack()
    {
        Write("cds.yaml", "a");
        using var watcher = Watcher(TimeProvider.System);
        watcher.Watch([new WatchTarget("cds", _dir, "cds.yaml")]);

        var temp = Write("cds.yaml.tmp", "b");
        File.Move(temp, Path.Combine(_dir, "cds.yaml"), overwrite: true);

        Assert.Equal("cds", await _next.Task.DefaultTimeout());
    }

    [Fact]
    public async Task Watch_FileDeleted_CallsBack()
    {
        var file = Write("eds.yaml", "a");
        using var watcher = Watcher(TimeProvider.System);
        watcher.Watch([new WatchTarget("eds", _dir, "eds.yaml")]);

        File.Delete(file);

        Assert.Equal("eds", await _next.Task.DefaultTimeout());
    }

    [Fact]
    public async Task Watch_OtherFileOfTheDirectory_OnlyItsOwnKeyCalled()
    {
        Write("lds.yaml", "a");
        var other = Write("cds.yaml", "a");
        using var watcher = Watcher(TimeProvider.System);
        watcher.Watch([new WatchTarget("lds", _dir, "lds.yaml"), new WatchTarget("cds", _dir, "cds.yaml")]);

        await File.WriteAllTextAsync(other, "b");

        Assert.Equal("cds", await _next.Task.DefaultTimeout());
        Assert.DoesNotContain("lds", _calls);
    }

    [Fact]
    public async Task Watch_WatchedDirectorySymlinkSwap_CallsBack()
    {
        // The layout the kubelet gives a ConfigMap volume: name -> ..data/name, ..data -> ..<timestamp>.
        var v1 = Directory.CreateDirectory(Path.Combine(_dir, "..v1")).FullName;
        File.WriteAllText(Path.Combine(v1, "eds.yaml"), "a");
        File.CreateSymbolicLink(Path.Combine(_dir, "..data"), "..v1");
        File.CreateSymbolicLink(Path.Combine(_dir, "eds.yaml"), "..data/eds.yaml");
        using var watcher = Watcher(TimeProvider.System);
        watcher.Watch([new WatchTarget("eds", _dir, null)]);

        var v2 = Directory.CreateDirectory(Path.Combine(_dir, "..v2")).FullName;
        File.WriteAllText(Path.Combine(v2, "eds.yaml"), "b");
        File.CreateSymbolicLink(Path.Combine(_dir, "..data_tmp"), "..v2");
        Symlinks.Rename(Path.Combine(_dir, "..data_tmp"), Path.Combine(_dir, "..data"));

        Assert.Equal("eds", await _next.Task.DefaultTimeout());
        Assert.Equal("b", File.ReadAllText(Path.Combine(_dir, "eds.yaml")));
    }

    [Fact]
    public async Task Watch_BurstOfWrites_OneCallbackOnceQuiet()
    {
        var time = new ManualTimeProvider();
        var file = Write("lds.yaml", "0");
        using var watcher = Watcher(time);
        watcher.Watch([new WatchTarget("lds", _dir, "lds.yaml")]);

        for (var i = 1; i <= 3; i++)
        {
            var observed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnObserved(string key) => observed.TrySetResult();
            watcher.EventObserved += OnObserved;
            await File.WriteAllTextAsync(file, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await observed.Task.DefaultTimeout();
            watcher.EventObserved -= OnObserved;
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.Empty(_calls);
        time.Advance(TimeSpan.FromMilliseconds(250));

        Assert.Equal(["lds"], _calls);
    }

    [Fact]
    public async Task Watch_TargetDropped_NoLongerCalled()
    {
        var lds = Write("lds.yaml", "a");
        var eds = Write("eds.yaml", "a");
        using var watcher = Watcher(TimeProvider.System);
        watcher.Watch([new WatchTarget("lds", _dir, "lds.yaml"), new WatchTarget("eds", _dir, "eds.yaml")]);

        watcher.Watch([new WatchTarget("lds", _dir, "lds.yaml")]);
        await File.WriteAllTextAsync(eds, "b");
        await File.WriteAllTextAsync(lds, "b");

        // Both writes' events arrive in order on one watch, so eds would have been signalled before lds fires.
        Assert.Equal("lds", await _next.Task.DefaultTimeout());
        Assert.DoesNotContain("eds", _calls);
    }

    private ConfigFileWatcher Watcher(TimeProvider time) => new(key =>
    {
        _calls.Enqueue(key);
        _next.TrySetResult(key);
    }, time, NullLogger.Instance);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }
}
