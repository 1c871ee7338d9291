namespace Kubegate.Configuration;

/// <summary>Envoy's <c>config.rbac.v3.RBAC</c>: an action and named policies.</summary>
internal sealed record RbacRulesConfig
{
    public required RbacAction Action { get; init; }

    /// <summary>Policies in name order (Envoy's policies are a map, evaluated in key order).</summary>
    public EquatableArray<RbacPolicyConfig> Policies { get; init; } = EquatableArray<RbacPolicyConfig>.Empty;
}
