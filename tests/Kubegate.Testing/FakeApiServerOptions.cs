using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Kubegate.Testing;

/// <summary>Settings for <see cref="FakeApiServer.StartAsync"/>.</summary>
public sealed class FakeApiServerOptions
{
    /// <summary>The instance name, sent back in <c>X-Test-Instance</c> and <c>/debug/whoami</c>. Default <c>apiserver</c>.</summary>
    public string Name { get; set; } = "apiserver";

    /// <summary>The address to listen on. Default 127.0.0.1.</summary>
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    /// <summary>The port to listen on; 0 (the default) picks a free ephemeral port.</summary>
    public int Port { get; set; }

    /// <summary>The serving certificate, with its private key. Required.</summary>
    public X509Certificate2? ServerCertificate { get; set; }

    /// <summary>
    /// The CA that client certificates must chain to, like kube-apiserver's <c>--client-ca-file</c>. Default
    /// <see langword="null"/>: client certificates are not requested and every request is allowed as anonymous.
    /// </summary>
    public X509Certificate2? ClientCertificateAuthority { get; set; }

    /// <summary>
    /// Whether a client certificate that does not chain to <see cref="ClientCertificateAuthority"/> fails the TLS
    /// handshake, as in kube-apiserver, instead of completing it and getting 401 on every request. Default
    /// <see langword="false"/> (401).
    /// </summary>
    /// <remarks>
    /// SslStream on Linux verifies the peer after OpenSSL finished the handshake and then just closes, sending no TLS
    /// alert (checked with <c>openssl s_client</c>, TLS 1.2 and 1.3). Go therefore sees "unexpected EOF" instead of
    /// "remote error: tls: bad certificate", and client-go retries an EOF on a GET ten times a second apart: kubectl
    /// takes about 20 s to fail. The 401 default makes it fail at once with "You must be logged in to the server
    /// (Unauthorized)"; HttpClient-based tests can use either.
    /// </remarks>
    public bool RejectUntrustedClientCertificateInHandshake { get; set; }

    /// <summary>Namespaces that exist at start besides <c>default</c>, <c>kube-system</c> and <c>kube-public</c>.</summary>
    public IList<string> Namespaces { get; } = [];

    /// <summary>The initial <see cref="FakeApiServer.ReadyzMode"/>. Default <see cref="Testing.ReadyzMode.Ok"/>.</summary>
    public ReadyzMode ReadyzMode { get; set; } = ReadyzMode.Ok;

    /// <summary>How long <see cref="Testing.ReadyzMode.Slow"/> waits before answering. Default 30 s.</summary>
    public TimeSpan SlowReadyzDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The pause between the synthetic events of a watch, after the initial ADDED ones. Default 1 s.</summary>
    public TimeSpan WatchEventInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many events (the initial ADDED ones included) a watch sends before the server ends the response, as a
    /// real apiserver ends a watch at its timeout. Default <see langword="null"/>: until the client goes away or the
    /// server stops.
    /// </summary>
    public int? WatchEventCount { get; set; }

    /// <summary>How long <see cref="FakeApiServer.StopAsync"/> waits for open requests before aborting them. Default 2 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Receives Kestrel's and the server's logs. Default <see langword="null"/>: no logging at all.</summary>
    public ILoggerProvider? LoggerProvider { get; set; }

    /// <summary>The <c>default/kubernetes</c> endpoints, shared by the apiservers of one test cluster; null means a store holding this server alone.</summary>
    public ApiServerEndpointStore? ApiServerEndpoints { get; set; }

    /// <summary>False plays a cluster without <c>discovery.k8s.io/v1</c> (before Kubernetes 1.21): EndpointSlice requests get 404, Endpoints still work.</summary>
    public bool ServeEndpointSlices { get; set; } = true;
}
