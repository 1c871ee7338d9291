namespace Kubegate.Configuration;

/// <summary>One RBAC policy: it matches when one of its permissions and one of its principals match.</summary>
internal sealed record RbacPolicyConfig
{
    public required string Name { get; init; }

    public EquatableArray<RbacMatchConfig> Permissions { get; init; } = EquatableArray<RbacMatchConfig>.Empty;

    public EquatableArray<RbacMatchConfig> Principals { get; init; } = EquatableArray<RbacMatchConfig>.Empty;
}
