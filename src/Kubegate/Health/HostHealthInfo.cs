using System.Runtime.CompilerServices;
using Kubegate.Clusters;

namespace Kubegate.Health;

/// <summary>
/// What the health machinery knows about one host beyond its flags: the last check, the server certificate's expiry
/// and the last <see cref="MaxChanges"/> flag changes. A side table keyed by the <see cref="EndpointState"/> (YARP's
/// habit for policy extras), so it lives exactly as long as the host and survives health-checker rebuilds.
/// </summary>
internal sealed class HostHealthInfo
{
    /// <summary>How many flag changes are kept per host.</summary>
    public const int MaxChanges = 50;

    private static readonly ConditionalWeakTable<EndpointState, HostHealthInfo> Table = new();

    private readonly Lock _lock = new();
    private readonly HealthChange[] _changes = new HealthChange[MaxChanges];
    private int _changeCount;
    private int _nextChange;
    private HealthCheckRecord? _lastCheck;
    private DateTimeOffset? _certificateNotAfter;
    private string? _certificateSubject;
    private string? _certificateSerial;

    /// <summary>The host's record, created on first use.</summary>
    public static HostHealthInfo For(EndpointState host) => Table.GetValue(host, static _ => new HostHealthInfo());

    /// <summary>The host's record, or null when nothing was ever recorded for it.</summary>
    public static HostHealthInfo? TryGet(EndpointState host) => Table.TryGetValue(host, out var info) ? info : null;

    /// <summary>The last finished active health check; null before the first.</summary>
    public HealthCheckRecord? LastCheck
    {
        get
        {
            lock (_lock)
            {
                return _lastCheck;
            }
        }
    }

    /// <summary>The NotAfter of the certificate the host presented at the last TLS health-check handshake.</summary>
    public DateTimeOffset? CertificateNotAfter
    {
        get
        {
            lock (_lock)
            {
                return _certificateNotAfter;
            }
        }
    }

    /// <summary>The subject of that certificate.</summary>
    public string? CertificateSubject
    {
        get
        {
            lock (_lock)
            {
                return _certificateSubject;
            }
        }
    }

    /// <summary>The serial number (hex) of that certificate.</summary>
    public string? CertificateSerial
    {
        get
        {
            lock (_lock)
            {
                return _certificateSerial;
            }
        }
    }

    /// <summary>The last flag changes, oldest first.</summary>
    public IReadOnlyList<HealthChange> Changes
    {
        get
        {
            lock (_lock)
            {
                var result = new HealthChange[_changeCount];
                var start = (_nextChange - _changeCount + MaxChanges) % MaxChanges;
                for (var i = 0; i < _changeCount; i++)
                {
                    result[i] = _changes[(start + i) % MaxChanges];
                }

                return result;
            }
        }
    }

    internal void RecordCheck(HealthCheckRecord record)
    {
        lock (_lock)
        {
            _lastCheck = record;
        }
    }

    internal void RecordCertificate(DateTimeOffset notAfter, string subject, string? serial = null)
    {
        lock (_lock)
        {
            _certificateNotAfter = notAfter;
            _certificateSubject = subject;
            _certificateSerial = serial;
        }
    }

    internal void RecordChange(HealthChange change)
    {
        lock (_lock)
        {
            _changes[_nextChange] = change;
            _nextChange = (_nextChange + 1) % MaxChanges;
            _changeCount = Math.Min(_changeCount + 1, MaxChanges);
        }
    }
}
