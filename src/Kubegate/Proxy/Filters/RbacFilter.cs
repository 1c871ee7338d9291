using Kubegate.Configuration;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy.Filters;

/// <summary>
/// <c>envoy.filters.network.rbac</c> on what a connection shows at its start (addresses and ports): enforced rules
/// decide, shadow rules only count. Stats <c>&lt;stat_prefix&gt;.rbac.allowed</c>, <c>denied</c>, and
/// <c>&lt;stat_prefix&gt;.rbac.&lt;shadow_rules_stat_prefix&gt;shadow_allowed</c>, <c>shadow_denied</c>.
/// </summary>
internal sealed class RbacFilter : ConnectionFilter
{
    private readonly RbacConfig _config;
    private readonly ILogger _logger;
    private readonly Counter _allowed;
    private readonly Counter _denied;
    private readonly Counter _shadowAllowed;
    private readonly Counter _shadowDenied;

    public RbacFilter(RbacConfig config, StatsStore stats, ILogger logger)
    {
        _config = config;
        _logger = logger;
        var scope = config.StatPrefix + ".rbac.";
        _allowed = stats.Counter(scope + "allowed");
        _denied = stats.Counter(scope + "denied");
        _shadowAllowed = stats.Counter(scope + config.ShadowRulesStatPrefix + "shadow_allowed");
        _shadowDenied = stats.Counter(scope + config.ShadowRulesStatPrefix + "shadow_denied");
    }

    public override FilterDecision OnNewConnection(in ConnectionFacts facts)
    {
        if (_config.ShadowRules is { } shadow)
        {
            (Evaluate(shadow, facts, out _) ? _shadowAllowed : _shadowDenied).Increment();
        }

        if (_config.Rules is not { } rules)
        {
            return FilterDecision.Admit;
        }

        if (Evaluate(rules, facts, out var policy))
        {
            _allowed.Increment();
            return FilterDecision.Admit;
        }

        _denied.Increment();
        LogRefusal(_logger, facts.Now, "rbac " + _config.StatPrefix, $"client {facts.Source} denied (policy {policy ?? "none"}, action {rules.Action})");

        // Envoy's termination details for an RBAC denial.
        return new FilterDecision(false, 0, $"rbac_access_denied_matched_policy[{policy ?? "none"}]");
    }

    /// <summary>Envoy's RoleBasedAccessControlEngineImpl::handleAction: true when the connection is allowed.</summary>
    private static bool Evaluate(RbacRulesConfig rules, in ConnectionFacts facts, out string? matchedPolicy)
    {
        matchedPolicy = null;
        foreach (var policy in rules.Policies)
        {
            if (AnyMatches(policy.Permissions, facts) && AnyMatches(policy.Principals, facts))
            {
                matchedPolicy = policy.Name;
                break;
            }
        }

        return rules.Action switch
        {
            RbacAction.Allow => matchedPolicy is not null,
            RbacAction.Deny => matchedPolicy is null,
            _ => true,
        };
    }

    private static bool AnyMatches(EquatableArray<RbacMatchConfig> matchers, in ConnectionFacts facts)
    {
        foreach (var matcher in matchers)
        {
            if (Matches(matcher, facts))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(RbacMatchConfig matcher, in ConnectionFacts facts)
    {
        switch (matcher.Kind)
        {
            case RbacMatchKind.Any:
                return true;
            case RbacMatchKind.SourceIp:
                return facts.Source is { } source && matcher.Cidr!.Contains(source);
            case RbacMatchKind.DestinationIp:
                return facts.Local is { } local && matcher.Cidr!.Contains(local.Address);
            case RbacMatchKind.DestinationPort:
                return facts.Local is { } endPoint && endPoint.Port == matcher.Port;
            case RbacMatchKind.And:
                foreach (var child in matcher.Children)
                {
                    if (!Matches(child, facts))
                    {
                        return false;
                    }
                }

                return true;
            case RbacMatchKind.Or:
                return AnyMatches(matcher.Children, facts);
            case RbacMatchKind.Not:
                return !Matches(matcher.Children[0], facts);
            default:
                return false;
        }
    }
}
