namespace Kubegate.Configuration;

/// <summary><c>envoy.filters.network.rbac</c>: enforced <see cref="Rules"/> and logged-only <see cref="ShadowRules"/>.</summary>
internal sealed record RbacConfig : NetworkFilterConfig
{
    /// <summary><c>rules</c>; null means no enforced policy (every connection is allowed).</summary>
    public RbacRulesConfig? Rules { get; init; }

    public RbacRulesConfig? ShadowRules { get; init; }

    /// <summary><c>shadow_rules_stat_prefix</c>, put before <c>shadow_allowed</c>/<c>shadow_denied</c>.</summary>
    public string ShadowRulesStatPrefix { get; init; } = string.Empty;
}
