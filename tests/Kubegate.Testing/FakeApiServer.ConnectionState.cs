using Microsoft.AspNetCore.Connections;

namespace Kubegate.Testing;

public sealed partial class FakeApiServer
{
    /// <summary>What the server knows about one open connection; requests find it by connection id.</summary>
    private sealed class ConnectionState(ConnectionContext connection)
    {
        public ConnectionContext Connection { get; } = connection;

        /// <summary>The subject of a client certificate that chains to the client CA; null if none was presented or it did not chain.</summary>
        public string? TrustedSubject { get; set; }

        /// <summary>A certificate was presented that does not chain to the client CA: every request gets 401.</summary>
        public bool HasUntrustedCertificate { get; set; }
    }
}
