using System.Net;

namespace Kubegate.Testing;

/// <summary>
/// The <c>default/kubernetes</c> endpoints of one test cluster, shared by its <see cref="FakeApiServer"/>s the way
/// etcd is shared by real apiservers: every change is a new state with the next resourceVersion, kept in a history
/// that watches replay from, until <see cref="ExpireHistory"/> compacts it (after which a watch from an older
/// version gets kube-apiserver's 410 Gone "too old resource version" ERROR event and its client must list again).
/// </summary>
public sealed class ApiServerEndpointStore
{
    private readonly Lock _lock = new();
    private readonly List<(long ResourceVersion, IReadOnlyList<IPEndPoint> Endpoints)> _history = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource _compacted = new();
    private long _resourceVersion = 100;
    private long _oldestKept = 100;

    public ApiServerEndpointStore(params IPEndPoint[] endpoints)
    {
        _history.Add((_resourceVersion, endpoints));
    }

    /// <summary>The current resourceVersion.</summary>
    public long ResourceVersion
    {
        get
        {
            lock (_lock)
            {
                return _resourceVersion;
            }
        }
    }

    /// <summary>Replaces the apiserver list (empty is allowed: an EndpointSlice without endpoints) and wakes every watch.</summary>
    public void Set(params IPEndPoint[] endpoints)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _resourceVersion += 10;
            _history.Add((_resourceVersion, [.. endpoints]));
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>Compacts the history: open watches end with a 410 ERROR event, and watches from older versions get one at once.</summary>
    public void ExpireHistory()
    {
        CancellationTokenSource compacted;
        lock (_lock)
        {
            _oldestKept = _resourceVersion + 1;
            _history.RemoveRange(0, _history.Count - 1);
            compacted = _compacted;
            _compacted = new();
        }

        compacted.Cancel();
    }

    /// <summary>The current state.</summary>
    internal (long ResourceVersion, IReadOnlyList<IPEndPoint> Endpoints) Current
    {
        get
        {
            lock (_lock)
            {
                return _history[^1];
            }
        }
    }

    /// <summary>
    /// The state at <paramref name="resourceVersion"/> and the later ones, or null when that version was compacted;
    /// plus a task that completes at the next change and a token cancelled at the next compaction.
    /// </summary>
    internal (IReadOnlyList<(long ResourceVersion, IReadOnlyList<IPEndPoint> Endpoints)>? States, Task Changed, CancellationToken Compacted) Since(long resourceVersion)
    {
        lock (_lock)
        {
            if (resourceVersion < _oldestKept)
            {
                return (null, _changed.Task, _compacted.Token);
            }

            var start = _history.FindLastIndex(s => s.ResourceVersion <= resourceVersion);
            return (_history.Skip(Math.Max(start, 0)).ToList(), _changed.Task, _compacted.Token);
        }
    }
}
