using System.Globalization;
using System.Net;

namespace Kubegate.Soak.Harness;

/// <summary>kubegate's admin interface: <c>/stats</c> parsed into name → value, and <c>/clusters</c> as text.</summary>
internal sealed class AdminClient(IPEndPoint admin) : IDisposable
{
    private readonly HttpClient _client = new() { BaseAddress = new Uri($"http://{admin}/"), Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>Every stat; text readouts (<c>version_text</c>) without their quotes.</summary>
    public async Task<IReadOnlyDictionary<string, string>> StatsAsync(CancellationToken cancellationToken = default)
    {
        var text = await _client.GetStringAsync("stats", cancellationToken);
        var stats = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0)
            {
                stats[line[..colon]] = line[(colon + 2)..].Trim('"');
            }
        }

        return stats;
    }

    public Task<string> ClustersAsync(CancellationToken cancellationToken = default) => _client.GetStringAsync("clusters", cancellationToken);

    public static long Number(IReadOnlyDictionary<string, string> stats, string name) =>
        stats.TryGetValue(name, out var value) && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : 0;

    /// <summary>The sum of every numeric stat whose name matches.</summary>
    public static long Sum(IReadOnlyDictionary<string, string> stats, Func<string, bool> match) =>
        stats.Where(s => match(s.Key)).Sum(s => long.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0);

    public void Dispose() => _client.Dispose();
}
