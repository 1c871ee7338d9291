using Kubegate.Configuration;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy.Filters;

/// <summary>
/// <c>envoy.filters.network.local_ratelimit</c>: a token bucket that starts full with <c>max_tokens</c> and gains
/// <c>tokens_per_fill</c> every <c>fill_interval</c> (never above <c>max_tokens</c>); each new connection takes one,
/// and one that finds none is closed at once. Stat <c>local_ratelimit.&lt;stat_prefix&gt;.rate_limited</c>.
/// </summary>
/// <remarks>
/// Envoy refills on a timer; here the bucket is refilled lazily from the elapsed whole intervals when a connection
/// asks, which gives the same counts without a timer per filter.
/// </remarks>
internal sealed class LocalRateLimitFilter : ConnectionFilter
{
    private readonly LocalRateLimitConfig _config;
    private readonly ILogger _logger;
    private readonly Counter _rateLimited;
    private readonly long _intervalMs;
    private readonly Lock _lock = new();
    private long _tokens;
    private long _lastFill = long.MinValue;

    public LocalRateLimitFilter(LocalRateLimitConfig config, StatsStore stats, ILogger logger)
    {
        _config = config;
        _logger = logger;
        _rateLimited = stats.Counter("local_ratelimit." + config.StatPrefix + ".rate_limited");
        _intervalMs = Math.Max(1, (long)config.FillInterval.TotalMilliseconds);
        _tokens = config.MaxTokens;
    }

    public override FilterDecision OnNewConnection(in ConnectionFacts facts)
    {
        lock (_lock)
        {
            if (_lastFill == long.MinValue)
            {
                _lastFill = facts.Now;
            }

            var intervals = (facts.Now - _lastFill) / _intervalMs;
            if (intervals > 0)
            {
                _tokens = Math.Min(_config.MaxTokens, _tokens + (intervals * _config.TokensPerFill));
                _lastFill += intervals * _intervalMs;
            }

            if (_tokens > 0)
            {
                _tokens--;
                return FilterDecision.Admit;
            }
        }

        _rateLimited.Increment();
        LogRefusal(_logger, facts.Now, "local_ratelimit " + _config.StatPrefix, $"no token left (max_tokens {_config.MaxTokens}, {_config.TokensPerFill} per {_config.FillInterval.TotalMilliseconds} ms); client {facts.Source}");
        return new FilterDecision(false, 0, "local_ratelimit_exceeded");
    }
}
