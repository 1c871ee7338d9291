using Kubegate.Configuration;
using Kubegate.Proxy;
using Kubegate.Stats;

namespace Kubegate.Tests.Proxy;

/// <summary>Envoy's filter-chain match order (FilterChainManagerImpl::findFilterChain) on the criteria kubegate implements.</summary>
public class FilterChainSelectorTests
{
    private readonly StatsStore _stats = new();

    [Theory]
    [InlineData("api.example.com", "exact")]
    [InlineData("x.example.com", "wild")]
    [InlineData("x.eu.example.com", "eu")]          // the longest wildcard suffix wins
    [InlineData("example.com", "any-name")]        // *.example.com does not match example.com
    [InlineData(null, "any-name")]
    public void Select_ServerNames_ExactThenLongestWildcardThenAny(string? serverName, string expected)
    {
        var selector = Selector(
            Chain("exact", names: ["api.example.com"]),
            Chain("wild", names: ["*.example.com"]),
            Chain("eu", names: ["*.eu.example.com"]),
            Chain("any-name"));

        Assert.Equal(expected, selector.Select(6443, serverName, "tls", null)?.DisplayName);
    }

    [Fact]
    public void Select_MostSpecificBucketWithNothingBelow_DoesNotFallBack()
    {
        // Envoy picks the server-name bucket first; that the bucket has no raw_buffer chain does not send the
        // connection back to the chain without server names.
        var selector = Selector(
            Chain("tls-only", names: ["a.example"], transport: "tls"),
            Chain("catch-all"));

        Assert.Null(selector.Select(6443, "a.example", "raw_buffer", null));
        Assert.Equal("tls-only", selector.Select(6443, "a.example", "tls", null)?.DisplayName);
        Assert.Equal("catch-all", selector.Select(6443, "b.example", "raw_buffer", null)?.DisplayName);
    }

    [Fact]
    public void Select_DestinationPort_ExactPortBeforeAny()
    {
        var selector = Selector(Chain("port", port: 6443), Chain("other"));

        Assert.Equal("port", selector.Select(6443, null, "raw_buffer", null)?.DisplayName);
        Assert.Equal("other", selector.Select(7443, null, "raw_buffer", null)?.DisplayName);
    }

    [Fact]
    public void Select_ApplicationProtocols_FirstOfferedThatSomeChainNames()
    {
        var selector = Selector(Chain("h1", alpn: ["http/1.1"]), Chain("h2", alpn: ["h2"]), Chain("none"));

        Assert.Equal("h2", selector.Select(1, null, "tls", ["h2", "http/1.1"])?.DisplayName);
        Assert.Equal("h1", selector.Select(1, null, "tls", ["http/1.1", "h2"])?.DisplayName);
        Assert.Equal("none", selector.Select(1, null, "tls", ["spdy/3"])?.DisplayName);
        Assert.Equal("none", selector.Select(1, null, "tls", null)?.DisplayName);
    }

    [Fact]
    public void Select_NothingMatches_TheDefaultChainOrNull()
    {
        var chain = Chain("a", names: ["a.example"]);
        var fallback = Chain("default");

        Assert.Null(new FilterChainSelector([chain], null).Select(1, "b.example", "tls", null));
        Assert.Same(fallback, new FilterChainSelector([chain], fallback).Select(1, "b.example", "tls", null));
    }

    private static FilterChainSelector Selector(params FilterChainRuntime[] chains) => new(chains, null);

    private FilterChainRuntime Chain(string name, string[]? names = null, string transport = "", string[]? alpn = null, int? port = null) => new(
        new FilterChainConfig
        {
            Name = name,
            Match = new FilterChainMatchConfig { ServerNames = [.. names ?? []], TransportProtocol = transport, ApplicationProtocols = [.. alpn ?? []], DestinationPort = port },
            TcpProxy = new TcpProxyConfig { StatPrefix = name, Cluster = name },
        },
        name,
        _stats,
        accessLogs: null,
        Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
}
