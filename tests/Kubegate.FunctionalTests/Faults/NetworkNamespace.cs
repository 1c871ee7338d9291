using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.FunctionalTests.Operations;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// A network namespace this test process created (<c>ip netns add</c>), with its loopback up, and a way to make
/// sockets that live in it (<see cref="ConnectAsync"/>). Disposing deletes the namespace; its interfaces, addresses,
/// nft tables and qdiscs go with it once no process or socket holds it any more.
/// </summary>
internal sealed class NetworkNamespace : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(20);
    private readonly NamespaceSocketFactory _sockets;

    private NetworkNamespace(string name)
    {
        Name = name;
        _sockets = new NamespaceSocketFactory(name);
    }

    public string Name { get; }

    public static async Task<NetworkNamespace> CreateAsync(string name)
    {
        await RunAsync("ip", "netns", "add", name);
        var created = new NetworkNamespace(name);
        try
        {
            await created.IpAsync("link", "set", "lo", "up");
            return created;
        }
        catch
        {
            await created.DisposeAsync();
            throw;
        }
    }

    /// <summary><c>ip -n NAME ARGS</c>: configures this namespace's links, addresses and routes.</summary>
    public Task IpAsync(params string[] args) => RunAsync("ip", ["-n", Name, .. args]);

    /// <summary><c>tc -n NAME ARGS</c>: this namespace's queueing disciplines.</summary>
    public Task TcAsync(params string[] args) => RunAsync("tc", ["-n", Name, .. args]);

    /// <summary>Loads an nft ruleset (nft's own syntax) into this namespace: <c>ip netns exec NAME nft -f FILE</c>.</summary>
    public async Task NftAsync(string ruleset)
    {
        // nft has no namespace option, and reading the rules from a file keeps the command free of shell quoting.
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, ruleset);
            await RunAsync("ip", "netns", "exec", Name, "nft", "-f", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary><c>ip netns exec NAME nft ARGS</c> (e.g. deleting a table).</summary>
    public Task NftCommandAsync(params string[] args) => RunAsync("ip", ["netns", "exec", Name, "nft", .. args]);

    /// <summary>
    /// GET on an admin interface listening in this namespace, from <paramref name="from"/> when given. HTTP/1.0: the
    /// connection closes after the answer, so it holds no descriptor afterwards. The body of a 200, else it throws.
    /// </summary>
    public async Task<string> AdminGetAsync(IPEndPoint admin, string path, IPEndPoint? from = null)
    {
        using var socket = await ConnectAsync(admin, TimeSpan.FromSeconds(10), from);
        await socket.SendAllAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\nHost: {admin}\r\n\r\n"));
        var response = Encoding.UTF8.GetString(await socket.ReceiveToEndAsync(limit: 4 << 20));
        var headerEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (!response.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) || headerEnd < 0)
        {
            throw new InvalidOperationException($"admin {path}: {response}");
        }

        return response[(headerEnd + 4)..];
    }

    /// <summary>One counter or gauge from the admin's <c>/stats</c> (0 when kubegate has not created it yet).</summary>
    public async Task<long> StatAsync(IPEndPoint admin, string name, IPEndPoint? from = null)
    {
        var text = await AdminGetAsync(admin, "/stats?filter=" + Uri.EscapeDataString("^" + name.Replace(".", "\\.", StringComparison.Ordinal) + "$"), from);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name + ": ", StringComparison.Ordinal))
            {
                return long.Parse(line[(name.Length + 2)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>
    /// A TCP connection made from inside this namespace (the socket belongs to it for its whole life), from
    /// <paramref name="localEndPoint"/> when given (else the kernel picks the source port).
    /// </summary>
    public async Task<Socket> ConnectAsync(IPEndPoint endPoint, TimeSpan timeout, IPEndPoint? localEndPoint = null)
    {
        var socket = await _sockets.CreateAsync(endPoint.AddressFamily);
        try
        {
            socket.NoDelay = true;
            if (localEndPoint is not null)
            {
                socket.Bind(localEndPoint);
            }

            using var deadline = new CancellationTokenSource(timeout);
            await socket.ConnectAsync(endPoint, deadline.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _sockets.Dispose();
        await RunAsync("ip", "netns", "delete", Name);
    }

    /// <summary>Runs a network tool to completion; a non-zero exit fails with its output.</summary>
    public static async Task RunAsync(string tool, params string[] args)
    {
        var run = await ToolRun.RunAsync(tool, Path.GetTempPath(), args, CommandTimeout);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)}: {run}");
        }
    }
}
