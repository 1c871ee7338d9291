using System.Collections.Immutable;
using Microsoft.Extensions.Logging;

namespace Kubegate.Configuration.Watching;

/// <summary>
/// The last step of every refresh: counts the outcome in the subscription's stats (Envoy's names), logs it, records it
/// on the <see cref="ReloadStatusBoard"/> the dashboard reads, and raises <see cref="Completed"/>.
/// </summary>
internal sealed partial class ReloadReporter
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ReloadStatusBoard? _board;

    /// <param name="logger">Where accepted and refused updates are logged.</param>
    /// <param name="time">Clock of <c>update_time</c> and of the board's entries.</param>
    /// <param name="board">The dashboard's reload status; null for none.</param>
    public ReloadReporter(ILogger logger, TimeProvider time, ReloadStatusBoard? board)
    {
        _logger = logger;
        _time = time;
        _board = board;
    }

    /// <summary>Raised after each subscription's refresh, whatever its outcome (on the reload loop).</summary>
    public event Action<ReloadResult>? Completed;

    /// <summary>The file's content hash had not changed: nothing read, nothing counted.</summary>
    public ReloadResult Unchanged(FileSubscriber subscriber, ConfigSourceConfig source)
    {
        Log.UpdateUnchanged(_logger, subscriber.Name, source.Path);
        return Publish(new ReloadResult(subscriber.Name, source.Path, ReloadOutcome.Unchanged, null, []));
    }

    /// <summary>The file could not be read: <c>update_failure</c>.</summary>
    public ReloadResult Unreadable(FileSubscriber subscriber, ConfigSourceConfig source, ContentHash hash)
    {
        var problem = new ConfigError(
            source.Path,
            0,
            string.Empty,
            $"unable to read file: '{source.Path}' {hash.Error}",
            "the last good configuration stays in force; put the file back (write a temporary file, then mv it into place)");
        return Refused(subscriber, source.Path, null, parseFailed: true, [problem]);
    }

    /// <summary><c>update_success</c>: the new file is in force.</summary>
    public ReloadResult Accepted(FileSubscriber subscriber, string file, string? version, ImmutableArray<ConfigError> problems)
    {
        subscriber.Stats.Accepted(version, _time.GetUtcNow());
        foreach (var problem in problems)
        {
            Log.UpdateWarning(_logger, subscriber.Name, problem.ToString());
        }

        Log.UpdateAccepted(_logger, subscriber.Name, VersionText(version), file);
        return Publish(new ReloadResult(subscriber.Name, file, ReloadOutcome.Accepted, version, problems));
    }

    /// <summary>EDS <c>update_empty</c> (and <c>update_success</c>): the previous endpoints stay.</summary>
    public ReloadResult Empty(FileSubscriber subscriber, string file, string? version, ImmutableArray<ConfigError> problems)
    {
        subscriber.Stats.UpdateEmpty!.Increment();
        subscriber.Stats.Accepted(version, _time.GetUtcNow());
        Log.UpdateEmpty(_logger, subscriber.Name, VersionText(version), file);
        return Publish(new ReloadResult(subscriber.Name, file, ReloadOutcome.Empty, version, problems));
    }

    /// <summary>
    /// <c>update_failure</c> (<paramref name="parseFailed"/>) or <c>update_rejected</c>; <paramref name="applied"/> when
    /// the rest of the file is in force (a listener that could not be bound).
    /// </summary>
    public ReloadResult Refused(FileSubscriber subscriber, string file, string? version, bool parseFailed, ImmutableArray<ConfigError> problems, bool applied = false)
    {
        (parseFailed ? subscriber.Stats.UpdateFailure : subscriber.Stats.UpdateRejected).Increment();
        var errors = 0;
        foreach (var problem in problems)
        {
            if (problem.Severity != ConfigErrorSeverity.Error)
            {
                Log.UpdateWarning(_logger, subscriber.Name, problem.ToString());
            }
            else if (parseFailed)
            {
                errors++;
                Log.UpdateFailed(_logger, subscriber.Name, problem.ToString());
            }
            else
            {
                errors++;
                Log.UpdateRejected(_logger, subscriber.Name, problem.ToString());
            }
        }

        Log.UpdateRefused(
            _logger,
            subscriber.Name,
            parseFailed ? "failure" : "rejected",
            errors,
            file,
            applied ? "the rest of the file is in force" : "the last good configuration stays in force");
        return Publish(new ReloadResult(subscriber.Name, file, parseFailed ? ReloadOutcome.Failed : ReloadOutcome.Rejected, version, problems));
    }

    private static string VersionText(string? version) => string.IsNullOrEmpty(version) ? "none" : version;

    private ReloadResult Publish(ReloadResult result)
    {
        _board?.Record(result, _time.GetUtcNow());
        Completed?.Invoke(result);
        return result;
    }
}
