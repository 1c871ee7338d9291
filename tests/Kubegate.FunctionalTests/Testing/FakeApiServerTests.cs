using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.TestingRig;

/// <summary>The kube-apiserver double on its own, through HttpClient and raw sockets.</summary>
public sealed class FakeApiServerTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private readonly X509Certificate2 _client;

    public FakeApiServerTests()
    {
        _client = _ca.CreateClientCertificate("alice", "devs");
    }

    public void Dispose()
    {
        _client.Dispose();
        _ca.Dispose();
    }

    [Fact]
    public async Task Get_NoClientCertificate_Returns401KubeStatus()
    {
        await using var server = await StartAsync();
        using var http = TestHttpClient.Create(_ca.Certificate);

        using var response = await http.GetAsync(new Uri(server.BaseAddress, "/api/v1/namespaces")).DefaultTimeout();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync().DefaultTimeout());
        Assert.Equal("Status", status.RootElement.GetProperty("kind").GetString());
        Assert.Equal("Unauthorized", status.RootElement.GetProperty("reason").GetString());
        Assert.Equal(401, status.RootElement.GetProperty("code").GetInt32());
        Assert.Equal(server.Name, Assert.Single(response.Headers.GetValues("X-Test-Instance")));
        Assert.Equal(string.Empty, Assert.Single(response.Headers.GetValues("X-Test-Client-Subject")));
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/livez")]
    [InlineData("/readyz")]
    public async Task Get_HealthEndpointWithoutClientCertificate_ReturnsOk(string path)
    {
        await using var server = await StartAsync();
        using var http = TestHttpClient.Create(_ca.Certificate);

        using var response = await http.GetAsync(new Uri(server.BaseAddress, path)).DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync().DefaultTimeout());
    }

    [Fact]
    public async Task GetVersion_NoClientCertificate_ReturnsKubeVersion()
    {
        await using var server = await StartAsync();
        using var http = TestHttpClient.Create(_ca.Certificate);

        using var version = JsonDocument.Parse(await http.GetStringAsync(new Uri(server.BaseAddress, "/version")).DefaultTimeout());

        Assert.Equal("1", version.RootElement.GetProperty("major").GetString());
        Assert.StartsWith("v1.", version.RootElement.GetProperty("gitVersion").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetWhoAmI_ClientOffersH2_NegotiatesHttp2AndSeesIssuedSubject()
    {
        await using var server = await StartAsync(o => o.Name = "apiserver-x");
        using var http = TestHttpClient.Create(_ca.Certificate, _client, HttpVersion.Version20, HttpVersionPolicy.RequestVersionOrLower);

        using var response = await http.GetAsync(new Uri(server.BaseAddress, "/debug/whoami")).DefaultTimeout();
        using var whoami = JsonDocument.Parse(await response.Content.ReadAsStringAsync().DefaultTimeout());

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("HTTP/2", whoami.RootElement.GetProperty("protocol").GetString());
        Assert.Equal("apiserver-x", whoami.RootElement.GetProperty("instance").GetString());
        Assert.Equal("CN=alice, O=devs", whoami.RootElement.GetProperty("clientSubject").GetString());
        Assert.StartsWith("127.0.0.1:", whoami.RootElement.GetProperty("remote").GetString(), StringComparison.Ordinal);
        Assert.Equal(_client.Subject, Assert.Single(response.Headers.GetValues("X-Test-Client-Subject")));
        Assert.Equal([_client.Subject], server.ClientSubjects);
    }

    [Fact]
    public async Task GetWhoAmI_Http11OnlyClient_ServesHttp11()
    {
        await using var server = await StartAsync();
        using var http = TestHttpClient.Create(_ca.Certificate, _client, HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);

        using var response = await http.GetAsync(new Uri(server.BaseAddress, "/debug/whoami")).DefaultTimeout();
        using var whoami = JsonDocument.Parse(await response.Content.ReadAsStringAsync().DefaultTimeout());

        Assert.Equal(HttpVersion.Version11, response.Version);
        Assert.Equal("HTTP/1.1", whoami.RootElement.GetProperty("protocol").GetString());
    }

    [Fact]
    public async Task Get_ClientCertificateFromAnotherCa_Returns401EvenOnReadyz()
    {
        using var otherCa = TestCertificateAuthority.Create("other-ca");
        using var stranger = otherCa.CreateClientCertificate("mallory", "devs");
        await using var server = await StartAsync();
        using var http = TestHttpClient.Create(_ca.Certificate, stranger);

        using var response = await http.GetAsync(new Uri(server.BaseAddress, "/readyz")).DefaultTimeout();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(string.Empty, Assert.Single(response.Headers.GetValues("X-Test-Client-Subject")));
        Assert.Empty(server.ClientSubjects);
        Assert.Equal(["CN=mallory, O=devs"], server.RejectedClientSubjects);
    }

    [Fact]
    public async Task Get_ClientCertificateFromAnotherCaWithHandshakeRejection_FailsTlsHandshake()
    {
        using var otherCa = TestCertificateAuthority.Create("other-ca");
        using var stranger = otherCa.CreateClientCertificate("mallory", "devs");
        await using var server = await StartAsync(o => o.RejectUntrustedClientCertificateInHandshake = true);
        using var http = TestHttpClient.Create(_ca.Certificate, stranger);

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(server.BaseAddress, "/readyz")).DefaultTimeout());

        Assert.Equal(1, server.ConnectionCount);
        Assert.Equal(0, server.TlsConnectionCount);
        Assert.Empty(server.ClientSubjects);
        Assert.Equal(0, server.RequestCount);
    }

    [Fact]
    public async Task ConnectionCount_TwoRequestsOnOneKeptAliveConnection_CountsOneConnection()
    {
        await using var server = await StartAsync();
        using var http = TestHttpClient.Create(_ca.Certificate, _client, HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);

        (await http.GetAsync(new Uri(server.BaseAddress, "/api")).DefaultTimeout()).Dispose();
        (await http.GetAsync(new Uri(server.BaseAddress, "/api/v1")).DefaultTimeout()).Dispose();
        await server.WaitForRequestsAsync(2).DefaultTimeout();

        Assert.Equal(1, server.ConnectionCount);
        Assert.Equal(1, server.TlsConnectionCount);
        Assert.Equal(2, server.RequestCount);
        Assert.Equal(["/api", "/api/v1"], server.Requests.Select(r => r.Path));
        Assert.All(server.Requests, r => Assert.Equal(200, r.StatusCode));
    }

    [Fact]
    public async Task WaitForConnectionsAsync_RawTcpConnects_CompletesWithoutTlsHandshake()
    {
        await using var server = await StartAsync();
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        await first.ConnectAsync(server.EndPoint).DefaultTimeout();
        await second.ConnectAsync(server.EndPoint).DefaultTimeout();
        await server.WaitForConnectionsAsync(2).DefaultTimeout();

        Assert.Equal(2, server.OpenConnectionCount);
        Assert.Equal(0, server.TlsConnectionCount);
    }

    [Fact]
    public async Task GetNamespaces_TableAccept_ReturnsTableWithAddedNamespace()
    {
        await using var server = await StartAsync(o => o.Namespaces.Add("team-a"));
        server.AddNamespace("team-b");
        using var http = TestHttpClient.Create(_ca.Certificate, _client);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseAddress, "/api/v1/namespaces?limit=500"));
        request.Headers.TryAddWithoutValidation("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json");

        using var response = await http.SendAsync(request).DefaultTimeout();
        using var table = JsonDocument.Parse(await response.Content.ReadAsStringAsync().DefaultTimeout());

        Assert.Equal("Table", table.RootElement.GetProperty("kind").GetString());
        Assert.Equal("meta.k8s.io/v1", table.RootElement.GetProperty("apiVersion").GetString());
        Assert.Equal(["Name", "Status", "Age"], table.RootElement.GetProperty("columnDefinitions").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var rows = table.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["default", "kube-public", "kube-system", "team-a", "team-b"], rows.Select(r => r.GetProperty("cells")[0].GetString()));
        Assert.All(rows, r => Assert.Equal("PartialObjectMetadata", r.GetProperty("object").GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task GetNamespace_UnknownName_Returns404NotFoundStatus()
    {
        await using var server = await StartAsync();
        using var http = TestHttpClient.Create(_ca.Certificate, _client);

        using var response = await http.GetAsync(new Uri(server.BaseAddress, "/api/v1/namespaces/nope")).DefaultTimeout();
        using var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync().DefaultTimeout());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NotFound", status.RootElement.GetProperty("reason").GetString());
        Assert.Equal("namespaces \"nope\" not found", status.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Watch_Http11WithEventCount_StreamsChunkedLinesThenEnds()
    {
        await using var server = await StartAsync(o =>
        {
            o.WatchEventInterval = TimeSpan.FromMilliseconds(20);
            o.WatchEventCount = 5;
        });
        using var http = TestHttpClient.Create(_ca.Certificate, _client, HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);

        using var response = await http.GetAsync(new Uri(server.BaseAddress, "/api/v1/namespaces?watch=1"), HttpCompletionOption.ResponseHeadersRead).DefaultTimeout();
        var lines = await ReadLinesToEndAsync(response).DefaultTimeout();

        Assert.True(response.Headers.TransferEncodingChunked);
        var events = lines.Select(line => JsonDocument.Parse(line)).ToList();
        Assert.Equal(["ADDED", "ADDED", "ADDED", "MODIFIED", "MODIFIED"], events.Select(e => e.RootElement.GetProperty("type").GetString()));
        Assert.All(events, e => Assert.Equal("Namespace", e.RootElement.GetProperty("object").GetProperty("kind").GetString()));
        var ticks = events.Skip(3).Select(e => e.RootElement.GetProperty("object").GetProperty("metadata"));
        Assert.Equal(["1", "2"], ticks.Select(m => m.GetProperty("annotations").GetProperty(FakeApiServer.WatchTickAnnotation).GetString()));
        var versions = events.Select(e => long.Parse(e.RootElement.GetProperty("object").GetProperty("metadata").GetProperty("resourceVersion").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(versions[4] > versions[3] && versions[3] > versions.Take(3).Max(), string.Join(",", versions));
    }

    [Fact]
    public async Task Watch_NamespaceAddedWhileWatching_SendsAddedEvent()
    {
        await using var server = await StartAsync(o => o.WatchEventInterval = TimeSpan.FromMinutes(10));
        using var http = TestHttpClient.Create(_ca.Certificate, _client);
        using var response = await http.GetAsync(new Uri(server.BaseAddress, "/api/v1/namespaces?watch=true"), HttpCompletionOption.ResponseHeadersRead).DefaultTimeout();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync().DefaultTimeout());
        for (var i = 0; i < 3; i++)
        {
            Assert.Contains("\"ADDED\"", await reader.ReadLineAsync().DefaultTimeout(), StringComparison.Ordinal);
        }

        server.AddNamespace("team-c");
        using var added = JsonDocument.Parse((await reader.ReadLineAsync().DefaultTimeout())!);
        server.RemoveNamespace("team-c");
        using var deleted = JsonDocument.Parse((await reader.ReadLineAsync().DefaultTimeout())!);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("ADDED", added.RootElement.GetProperty("type").GetString());
        Assert.Equal("team-c", added.RootElement.GetProperty("object").GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal("DELETED", deleted.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task StopAsync_WatchOpen_EndsWatchAndStops()
    {
        var server = await StartAsync(o => o.WatchEventInterval = TimeSpan.FromMinutes(10));
        await using var _ = server;
        using var http = TestHttpClient.Create(_ca.Certificate, _client, HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);
        using var response = await http.GetAsync(new Uri(server.BaseAddress, "/api/v1/namespaces?watch=true"), HttpCompletionOption.ResponseHeadersRead).DefaultTimeout();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        // The three ADDED events first: stopping before they were written would race the assertion below.
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(await reader.ReadLineAsync().DefaultTimeout());
        }

        await server.StopAsync().DefaultTimeout();

        // A graceful stop ends the watch response properly (last chunk) instead of cutting the connection.
        Assert.Null(await reader.ReadLineAsync().DefaultTimeout());
    }

    [Fact]
    public async Task ReadyzMode_SwitchedAtRuntime_AnswersAccordingly()
    {
        await using var server = await StartAsync(o => o.SlowReadyzDelay = TimeSpan.FromMinutes(5));
        using var http = TestHttpClient.Create(_ca.Certificate, _client, HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact);
        var readyz = new Uri(server.BaseAddress, "/readyz");

        server.ReadyzMode = ReadyzMode.Fail500;
        using (var failed = await http.GetAsync(readyz).DefaultTimeout())
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Contains("readyz check failed", await failed.Content.ReadAsStringAsync().DefaultTimeout(), StringComparison.Ordinal);
        }

        server.ReadyzMode = ReadyzMode.CloseConnection;
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(readyz).DefaultTimeout());

        server.ReadyzMode = ReadyzMode.Slow;
        using (var probeTimeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            // The probe's own timeout fires; the server would have waited 5 minutes.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => http.GetAsync(readyz, probeTimeout.Token).DefaultTimeout());
        }

        server.ReadyzMode = ReadyzMode.Ok;
        Assert.Equal("ok", await http.GetStringAsync(readyz).DefaultTimeout());
        Assert.Contains(server.Requests, r => r.Path == "/readyz" && r.StatusCode == 0);
    }

    [Fact]
    public async Task AbortAsync_OpenConnection_ClosesItAndPortRefusesConnections()
    {
        var server = await StartAsync();
        await using var _ = server;
        using var open = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await open.ConnectAsync(server.EndPoint).DefaultTimeout();
        await server.WaitForConnectionsAsync(1).DefaultTimeout();

        await server.AbortAsync().DefaultTimeout();

        var received = await ReceiveOrResetAsync(open).DefaultTimeout();
        Assert.True(received <= 0, $"received {received} bytes after abort");
        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(server.EndPoint).DefaultTimeout());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task StartAsync_SamePortAfterAbort_ServesAgain()
    {
        var port = 0;
        await using (var first = await StartAsync())
        {
            port = first.Port;
            await first.AbortAsync().DefaultTimeout();
        }

        await using var second = await StartAsync(o => o.Port = port);
        using var http = TestHttpClient.Create(_ca.Certificate);

        Assert.Equal(port, second.Port);
        Assert.Equal("ok", await http.GetStringAsync(new Uri(second.BaseAddress, "/livez")).DefaultTimeout());
    }

    private Task<FakeApiServer> StartAsync(Action<FakeApiServerOptions>? configure = null)
    {
        var options = new FakeApiServerOptions
        {
            Name = "apiserver-test",
            ServerCertificate = _ca.ServerCertificate,
            ClientCertificateAuthority = _ca.Certificate,
        };
        configure?.Invoke(options);
        return FakeApiServer.StartAsync(options).DefaultTimeout();
    }

    private static async Task<List<string>> ReadLinesToEndAsync(HttpResponseMessage response)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    // 0 for FIN, -1 for RST: either way the server side is gone.
    private static async Task<int> ReceiveOrResetAsync(Socket socket)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[16], SocketFlags.None);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return -1;
        }
    }
}
