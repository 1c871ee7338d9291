using Microsoft.Extensions.Hosting;

namespace Kubegate.Testing;

/// <summary>
/// Replaces the default <c>ConsoleLifetime</c>, which would hook SIGINT/SIGTERM once per server (tests start many;
/// the test apiserver process handles the signals itself) and print "Application started. Press Ctrl+C".
/// </summary>
internal sealed class NoopHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
