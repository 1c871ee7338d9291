using System.Net;
using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// One test apiserver in a network namespace of its own: kubegate-test-apiserver serving HTTPS (<c>/readyz</c> for
/// the health check) on <see cref="HealthPort"/> and a TCP echo (the proxied traffic) on <see cref="EchoPort"/>, in
/// one process, so stopping or killing it stops both. Joined to kubegate's namespace by a veth pair whose apiserver
/// end is <see cref="Interface"/>; faults are applied on this side.
/// </summary>
internal sealed class ApiServerNode : IAsyncDisposable
{
    public const int HealthPort = 6443;
    public const int EchoPort = 7000;
    public const string Interface = "eth0";

    private readonly string _caDirectory;
    private KubegateProcess? _process;

    private ApiServerNode(string name, NetworkNamespace ns, IPAddress address, string caDirectory)
    {
        Name = name;
        Namespace = ns;
        Address = address;
        _caDirectory = caDirectory;
    }

    public string Name { get; }

    public NetworkNamespace Namespace { get; }

    public IPAddress Address { get; }

    /// <summary>The endpoint kubegate proxies to, as <c>/clusters</c> names the host.</summary>
    public IPEndPoint EchoEndPoint => new(Address, EchoPort);

    public string HostName => EchoEndPoint.ToString();

    public KubegateProcess Process => _process ?? throw new InvalidOperationException($"{Name} is not running");

    public static string ExecutablePath => Path.Combine(AppContext.BaseDirectory, "kubegate-test-apiserver");

    /// <summary>
    /// Creates the namespace and the veth pair (<paramref name="gatewayInterface"/> in <paramref name="gateway"/>,
    /// <see cref="Interface"/> here) with the /24 <c>10.203.<paramref name="subnet"/>.0</c>: .1 on kubegate's side,
    /// .2 here. The addresses exist only inside these two namespaces.
    /// </summary>
    public static async Task<ApiServerNode> CreateAsync(string name, string namespaceName, NetworkNamespace gateway, string gatewayInterface, int subnet, string caDirectory)
    {
        var ns = await NetworkNamespace.CreateAsync(namespaceName);
        var node = new ApiServerNode(name, ns, IPAddress.Parse($"10.203.{subnet}.2"), caDirectory);
        try
        {
            // Created inside kubegate's namespace with the peer placed straight into the apiserver's: neither end
            // ever exists in the host's namespace, so nothing there changes and parallel runs cannot collide.
            await gateway.IpAsync("link", "add", gatewayInterface, "type", "veth", "peer", "name", Interface, "netns", namespaceName);
            await gateway.IpAsync("addr", "add", $"10.203.{subnet}.1/24", "dev", gatewayInterface);
            await gateway.IpAsync("link", "set", gatewayInterface, "up");
            await ns.IpAsync("addr", "add", $"{node.Address}/24", "dev", Interface);
            await ns.IpAsync("link", "set", Interface, "up");
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (or, after a kill, restarts) the apiserver process and waits until it listens.</summary>
    public async Task StartAsync()
    {
        if (_process is { } old)
        {
            await old.DisposeAsync();
        }

        _process = KubegateProcess.StartExecutable(
            ExecutablePath,
            _caDirectory,
            new Dictionary<string, string>(),
            fileLimit: null,
            Namespace.Name,
            "--dir", _caDirectory, "--address", Address.ToString(), "--instance", $"{Name}={HealthPort}", "--echo", EchoPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await _process.WaitForOutputAsync(line => line == "ready", TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_process is not null)
            {
                // SIGKILL ends a SIGSTOPped process too.
                await _process.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
        finally
        {
            try
            {
                // Deleting either end of a veth pair deletes both.
                await Namespace.IpAsync("link", "delete", Interface);
            }
            finally
            {
                await Namespace.DisposeAsync();
            }
        }
    }
}
