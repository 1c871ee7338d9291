using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Kubegate.Testing;

public sealed partial class FakeApiServer
{
    private readonly Lock _namespacesLock = new();
    private readonly SortedDictionary<string, NamespaceRecord> _namespaces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Channel<(string Type, NamespaceRecord Namespace)>, byte> _watchers = new();
    private long _resourceVersion;

    /// <summary>The namespaces that exist now, sorted by name.</summary>
    public IReadOnlyList<string> Namespaces
    {
        get
        {
            lock (_namespacesLock)
            {
                return [.. _namespaces.Keys];
            }
        }
    }

    /// <summary>Creates a namespace (no-op if it exists); open watches receive an ADDED event.</summary>
    public void AddNamespace(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (_namespacesLock)
        {
            if (_namespaces.ContainsKey(name))
            {
                return;
            }

            var created = new NamespaceRecord(name, Guid.NewGuid().ToString(), NextResourceVersion(), WholeSecondsNow());
            _namespaces[name] = created;
            Publish("ADDED", created);
        }
    }

    /// <summary>Deletes a namespace; open watches receive a DELETED event. Returns whether it existed.</summary>
    public bool RemoveNamespace(string name)
    {
        lock (_namespacesLock)
        {
            if (!_namespaces.Remove(name, out var removed))
            {
                return false;
            }

            Publish("DELETED", removed with { ResourceVersion = NextResourceVersion() });
            return true;
        }
    }

    // Whole seconds, as kube stores timestamps, so AGE and creationTimestamp agree.
    private static DateTimeOffset WholeSecondsNow() => DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    private long NextResourceVersion() => Interlocked.Increment(ref _resourceVersion);

    private (IReadOnlyList<NamespaceRecord> Namespaces, long ResourceVersion) SnapshotNamespaces()
    {
        lock (_namespacesLock)
        {
            return ([.. _namespaces.Values], Interlocked.Read(ref _resourceVersion));
        }
    }

    private NamespaceRecord? FindNamespace(string name)
    {
        lock (_namespacesLock)
        {
            return _namespaces.GetValueOrDefault(name);
        }
    }

    // Called under _namespacesLock, so every watcher sees changes in resourceVersion order.
    private void Publish(string type, NamespaceRecord ns)
    {
        foreach (var watcher in _watchers.Keys)
        {
            watcher.Writer.TryWrite((type, ns));
        }
    }
}
