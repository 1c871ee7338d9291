namespace Kubegate.Configuration;

/// <summary>One RBAC permission or principal: the connection-level rules kubegate implements.</summary>
internal sealed record RbacMatchConfig
{
    public required RbacMatchKind Kind { get; init; }

    /// <summary>The range of <see cref="RbacMatchKind.SourceIp"/> and <see cref="RbacMatchKind.DestinationIp"/>.</summary>
    public CidrRangeConfig? Cidr { get; init; }

    /// <summary>The port of <see cref="RbacMatchKind.DestinationPort"/>.</summary>
    public int Port { get; init; }

    /// <summary>The operands of And, Or and Not (one for Not).</summary>
    public EquatableArray<RbacMatchConfig> Children { get; init; } = EquatableArray<RbacMatchConfig>.Empty;
}
