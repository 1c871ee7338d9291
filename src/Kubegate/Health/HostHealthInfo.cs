using System.Runtime.CompilerServices;
using Kubegate.Clusters;
using Kubegate.Infrastructure;

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
    private CertificateDetails? _serverCertificate;
    private CertificateDetails? _clientCertificate;

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

    /// <summary>The certificate the host presented at the last TLS health-check handshake; null before one.</summary>
    public CertificateDetails? ServerCertificate
    {
        get
        {
            lock (_lock)
            {
                return _serverCertificate;
            }
        }
    }

    /// <summary>The client certificate kubegate presented in that handshake; null when it presented none.</summary>
    public CertificateDetails? ClientCertificate
    {
        get
        {
            lock (_lock)
            {
                return _clientCertificate;
            }
        }
    }

    /// <summary>The NotAfter of <see cref="ServerCertificate"/>.</summary>
    public DateTimeOffset? CertificateNotAfter => ServerCertificate?.NotAfter;

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

    internal void RecordCertificate(CertificateDetails server, CertificateDetails? client)
    {
        lock (_lock)
        {
            _serverCertificate = server;
            _clientCertificate = client;
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
