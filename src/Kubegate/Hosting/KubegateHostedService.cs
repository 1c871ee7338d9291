using Microsoft.Extensions.Hosting;

namespace Kubegate.Hosting;

/// <summary>Runs <see cref="KubegateServer"/> inside the generic host (signals, shutdown timeout, logging).</summary>
internal sealed class KubegateHostedService : IHostedService
{
    private readonly KubegateServer _server;

    public KubegateHostedService(KubegateServer server) => _server = server;

    public Task StartAsync(CancellationToken cancellationToken) => _server.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => _server.StopAsync(cancellationToken);
}
