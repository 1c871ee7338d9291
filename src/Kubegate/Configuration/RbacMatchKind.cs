namespace Kubegate.Configuration;

/// <summary>What an RBAC permission or principal tests.</summary>
internal enum RbacMatchKind
{
    /// <summary><c>any: true</c>.</summary>
    Any,

    /// <summary>
    /// The client's address: <c>direct_remote_ip</c>, <c>remote_ip</c> and <c>source_ip</c>, which are the same address
    /// in kubegate (no PROXY protocol, no X-Forwarded-For at layer 4).
    /// </summary>
    SourceIp,

    /// <summary>Permission <c>destination_ip</c>: the listener address the client connected to.</summary>
    DestinationIp,

    /// <summary>Permission <c>destination_port</c>.</summary>
    DestinationPort,

    /// <summary><c>and_ids</c> / <c>and_rules</c>.</summary>
    And,

    /// <summary><c>or_ids</c> / <c>or_rules</c>.</summary>
    Or,

    /// <summary><c>not_id</c> / <c>not_rule</c>.</summary>
    Not,
}
