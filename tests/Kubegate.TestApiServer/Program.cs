// kubegate-test-apiserver: one or more FakeApiServer instances as a process, for `make demo` (scripts/demo.sh) and
// for tests that need an apiserver they can stop or kill (the network fault tests run it inside a network namespace).
// See Usage below.
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;
using Microsoft.AspNetCore.Connections;

const string Usage = """
    usage: kubegate-test-apiserver --dir <dir> --instance <name>=<port> [--instance ...] [--kubeconfig <name>=<serverUrl> ...]
                                   [--address <ip>] [--echo <port>] [--shutdown-delay <seconds>]
                                   [--apiserver-endpoints <file>]

    Creates a CA in <dir>, or reuses the one an earlier process wrote there (ca.crt, ca.key, server.crt/.key, demo-admin.crt/.key for CN=demo-admin, O=system:masters),
    starts one fake kube-apiserver per --instance on https://<address>:<port> (address 127.0.0.1 unless --address;
    HTTP/1.1 + HTTP/2, client certificates checked against ca.crt), with --echo also a plain TCP echo server on
    <address>:<port> in the same process (a byte stream that stops or dies with the apiserver), writes
    <dir>/kubeconfig-<name> per --kubeconfig (user demo-admin, server <serverUrl>), prints "ready" once everything
    listens and then one line per request: instance method path status subject.
    With --apiserver-endpoints, default/kubernetes (EndpointSlices and Endpoints) lists the host:port lines of
    <file> and follows its changes (told by the file system), as real apiservers share it through etcd: processes given
    the same file serve the same list. Without it, each instance lists itself.
    SIGINT/SIGTERM stop the servers and exit 0; a busy port exits 1. With --shutdown-delay, SIGTERM first runs
    kube-apiserver's graceful shutdown: /readyz answers 503 for that many seconds while everything else is still
    served (its --shutdown-delay-duration), then the servers close their connections and stop listening.
    """;

string? dir = null;
var address = IPAddress.Loopback;
int? echoPort = null;
TimeSpan shutdownDelay = TimeSpan.Zero;
var instances = new List<(string Name, int Port)>();
var kubeconfigs = new List<(string Name, string Server)>();
string? endpointsFile = null;
for (var i = 0; i < args.Length; i++)
{
    var arg = args[i];
    if (arg is "-h" or "--help")
    {
        Console.WriteLine(Usage);
        return 0;
    }

    if (i + 1 >= args.Length || arg is not ("--dir" or "--instance" or "--kubeconfig" or "--address" or "--echo" or "--shutdown-delay" or "--apiserver-endpoints"))
    {
        return Fail($"unexpected argument '{arg}'");
    }

    var value = args[++i];
    switch (arg)
    {
        case "--dir":
            dir = value;
            break;
        case "--instance":
            if (!TrySplit(value, out var name, out var portText) || !int.TryParse(portText, out var port) || port is < 1 or > 65535)
            {
                return Fail($"--instance expects <name>=<port> with a port from 1 to 65535, got '{value}'");
            }

            instances.Add((name, port));
            break;
        case "--kubeconfig":
            if (!TrySplit(value, out var cluster, out var server) || !Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            {
                return Fail($"--kubeconfig expects <name>=https://<host>:<port>, got '{value}'");
            }

            kubeconfigs.Add((cluster, server));
            break;
        case "--address":
            if (!IPAddress.TryParse(value, out var parsed))
            {
                return Fail($"--address expects an IP address, got '{value}'");
            }

            address = parsed;
            break;
        case "--apiserver-endpoints":
            endpointsFile = value;
            break;
        case "--echo":
            if (!int.TryParse(value, out var echo) || echo is < 1 or > 65535)
            {
                return Fail($"--echo expects a port from 1 to 65535, got '{value}'");
            }

            echoPort = echo;
            break;
        case "--shutdown-delay":
            if (!double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var delaySeconds) || delaySeconds is < 0 or > 3600)
            {
                return Fail($"--shutdown-delay expects seconds from 0 to 3600, got '{value}'");
            }

            shutdownDelay = TimeSpan.FromSeconds(delaySeconds);
            break;
    }
}

if (dir is null || instances.Count == 0)
{
    return Fail("--dir and at least one --instance are required");
}

Directory.CreateDirectory(dir);
// A CA already in <dir> (written by an earlier process of this demo) is reused, so apiservers started as separate
// processes (and stopped one by one) all present certificates kubectl trusts through one kubeconfig.
var reuseCa = File.Exists(Path.Combine(dir, "ca.crt")) && File.Exists(Path.Combine(dir, "ca.key"));
using var ca = reuseCa ? TestCertificateAuthority.Load(dir) : TestCertificateAuthority.Create("kubegate-demo-ca");
using var client = ca.CreateClientCertificate("demo-admin", "system:masters");
if (!reuseCa)
{
    ca.WriteCertificateAuthority(dir, includeKey: true);
    TestCertificateAuthority.WriteCertificate(ca.ServerCertificate, dir, "server");
    TestCertificateAuthority.WriteCertificate(client, dir, "demo-admin");
}
foreach (var (name, server) in kubeconfigs)
{
    var path = Kubeconfig.Write(Path.Combine(dir, $"kubeconfig-{name}"), server, ca.Certificate, client, name: name);
    Console.WriteLine($"kubeconfig {name}: {path} -> {server}");
}

var stop = new TaskCompletionSource<PosixSignal>(TaskCreationOptions.RunContinuationsAsynchronously);
void OnSignal(PosixSignalContext context)
{
    // Keep the runtime from exiting on its own: stop the servers first, then return 0.
    context.Cancel = true;
    stop.TrySetResult(context.Signal);
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

var servers = new List<FakeApiServer>();
ApiServerEndpointStore? endpointStore = null;
string? endpointsText = null;
if (endpointsFile is not null)
{
    if (!TryReadEndpoints(endpointsFile, out var initial, out endpointsText, out var problem))
    {
        return Fail(problem, showUsage: false);
    }

    endpointStore = new ApiServerEndpointStore(initial);
}
TcpEchoServer? echoServer = null;
var exitCode = 0;
try
{
    foreach (var (name, port) in instances)
    {
        FakeApiServer server;
        try
        {
            server = await FakeApiServer.StartAsync(new FakeApiServerOptions
            {
                Name = name,
                Address = address,
                Port = port,
                ServerCertificate = ca.ServerCertificate,
                ClientCertificateAuthority = ca.Certificate,
                ApiServerEndpoints = endpointStore,
            });
        }
        catch (Exception e) when (e is AddressInUseException || e.InnerException is AddressInUseException)
        {
            // Kestrel wraps it: IOException "Failed to bind to address ...", inner AddressInUseException.
            exitCode = Fail($"port {port} on {address} (instance {name}) is already in use; stop whatever listens there (ss -ltnp 'sport = :{port}') and retry", showUsage: false);
            return exitCode;
        }

        server.RequestCompleted += request => Console.Out.WriteLine(request.ToString());
        servers.Add(server);
        Console.WriteLine($"{name} listening on https://{server.EndPoint}");
    }

    if (echoPort is { } echoPortValue)
    {
        try
        {
            echoServer = new TcpEchoServer(new IPEndPoint(address, echoPortValue));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            exitCode = Fail($"echo port {echoPortValue} on {address} is already in use", showUsage: false);
            return exitCode;
        }

        Console.WriteLine($"echo listening on {echoServer.EndPoint}");
    }

    using var endpointsChanged = new SemaphoreSlim(0);
    using var endpointsWatcher = endpointStore is null ? null : WatchFile(endpointsFile!, endpointsChanged);
    Console.WriteLine("ready");
    while (endpointStore is not null && !stop.Task.IsCompleted)
    {
        // Woken by the file's change events; the timeout only re-reads in case the watcher missed one.
        await Task.WhenAny(stop.Task, endpointsChanged.WaitAsync(TimeSpan.FromSeconds(5)));
        if (TryReadEndpoints(endpointsFile!, out var current, out var text, out _) && text != endpointsText)
        {
            endpointsText = text;
            endpointStore.Set(current);
            Console.WriteLine($"default/kubernetes: {string.Join(", ", current.Select(e => e.ToString()))}");
        }
    }

    var signal = await stop.Task;
    if (signal == PosixSignal.SIGTERM && shutdownDelay > TimeSpan.Zero)
    {
        Console.WriteLine($"shutting down: /readyz fails for {shutdownDelay.TotalSeconds:0.#} s while serving");
        await Task.WhenAll(servers.Select(server => server.ShutDownGracefullyAsync(shutdownDelay)));
    }

    Console.WriteLine("stopping");
}
finally
{
    if (echoServer is not null)
    {
        await echoServer.DisposeAsync();
    }

    await Task.WhenAll(servers.Select(server => server.DisposeAsync().AsTask()));
}

return exitCode;

// Written in place, replaced by a rename (sed -i, editors) or created: each wakes the reader once.
static FileSystemWatcher WatchFile(string path, SemaphoreSlim changed)
{
    var fullPath = Path.GetFullPath(path);
    var watcher = new FileSystemWatcher(Path.GetDirectoryName(fullPath)!, Path.GetFileName(fullPath))
    {
        NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
    };
    watcher.Changed += (_, _) => changed.Release();
    watcher.Created += (_, _) => changed.Release();
    watcher.Renamed += (_, _) => changed.Release();
    watcher.EnableRaisingEvents = true;
    return watcher;
}

static bool TryReadEndpoints(string path, out IPEndPoint[] endpoints, out string text, out string problem)
{
    endpoints = [];
    problem = string.Empty;
    try
    {
        text = File.ReadAllText(path);
    }
    catch (IOException e)
    {
        text = string.Empty;
        problem = $"--apiserver-endpoints: cannot read {path}: {e.Message}";
        return false;
    }

    var list = new List<IPEndPoint>();
    foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        if (line.StartsWith('#'))
        {
            continue;
        }

        if (!IPEndPoint.TryParse(line, out var endPoint) || endPoint.Port == 0)
        {
            problem = $"--apiserver-endpoints: {path}: '{line}' is not an ip:port";
            return false;
        }

        list.Add(endPoint);
    }

    endpoints = [.. list];
    return true;
}

static bool TrySplit(string value, out string name, out string rest)
{
    var equals = value.IndexOf('=', StringComparison.Ordinal);
    name = equals > 0 ? value[..equals] : string.Empty;
    rest = equals > 0 ? value[(equals + 1)..] : string.Empty;
    return equals > 0 && rest.Length > 0;
}

static int Fail(string message, bool showUsage = true)
{
    Console.Error.WriteLine($"kubegate-test-apiserver: {message}");
    if (showUsage)
    {
        Console.Error.WriteLine(Usage);
    }

    return 1;
}
