using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Hosting;

/// <summary>
/// Logs a warning for every certificate that is expired or expires within 30 days (apiserver serving certificates
/// seen by health checks, client certificates kubegate presents, CA and certificate files the configuration names):
/// once right after start-up and then once a day, so a journal or log alert catches it long before the outage.
/// </summary>
internal sealed partial class CertificateExpiryReporter : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromDays(1);

    private readonly Func<DateTimeOffset, IReadOnlyList<string>> _collect;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;

    /// <param name="collect">The warnings at a given time.</param>
    public CertificateExpiryReporter(Func<DateTimeOffset, IReadOnlyList<string>> collect, ILogger logger, TimeProvider time)
    {
        _collect = collect;
        _logger = logger;
        _time = time;
    }

    public void Start() => _run = RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>Logs the warnings of now; returns how many.</summary>
    public int ReportNow()
    {
        var warnings = _collect(_time.GetUtcNow());
        foreach (var warning in warnings)
        {
            Log.ExpiresSoon(_logger, warning);
        }

        return warnings.Count;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            ReportNow();
            await Task.Delay(Interval, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.CertificateExpiresSoon, LogLevel.Warning, "certificate: {Warning}", EventName = "CertificateExpiresSoon")]
        public static partial void ExpiresSoon(ILogger logger, string warning);
    }
}
