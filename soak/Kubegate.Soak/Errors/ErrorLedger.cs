using System.Collections.Concurrent;

namespace Kubegate.Soak.Errors;

/// <summary>
/// Every error of the run, counted by source, kind and whether the flap explains it (expected) or not (a fault),
/// with the first few messages of each as examples. Thread-safe.
/// </summary>
internal sealed class ErrorLedger
{
    private const int ExamplesPerKey = 3;

    private readonly ConcurrentDictionary<(ErrorSource Source, ErrorKind Kind, bool Expected), Entry> _entries = new();

    /// <summary>Records one error; <paramref name="expectedBecause"/> names the flap that explains it, or is null for a fault.</summary>
    public void Record(ErrorSource source, ErrorKind kind, string message, string? expectedBecause)
    {
        var entry = _entries.GetOrAdd((source, kind, expectedBecause is not null), _ => new Entry());
        entry.Add(expectedBecause is null ? message : $"{message} ({expectedBecause})");
    }

    /// <summary>Errors not explained by the flap.</summary>
    public long Faults => _entries.Where(e => !e.Key.Expected).Sum(e => e.Value.Count);

    /// <summary>Errors the flap explains.</summary>
    public long Expected => _entries.Where(e => e.Key.Expected).Sum(e => e.Value.Count);

    public IReadOnlyList<ErrorCount> Snapshot() =>
        [.. _entries.OrderBy(e => e.Key.Expected).ThenBy(e => e.Key.Source).ThenBy(e => e.Key.Kind)
            .Select(e => new ErrorCount(e.Key.Source, e.Key.Kind, e.Key.Expected, e.Value.Count, e.Value.Examples))];

    private sealed class Entry
    {
        private readonly List<string> _examples = [];
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public IReadOnlyList<string> Examples
        {
            get
            {
                lock (_examples)
                {
                    return [.. _examples];
                }
            }
        }

        public void Add(string message)
        {
            Interlocked.Increment(ref _count);
            lock (_examples)
            {
                if (_examples.Count < ExamplesPerKey)
                {
                    _examples.Add($"{DateTime.UtcNow:HH:mm:ss} {message}");
                }
            }
        }
    }
}
