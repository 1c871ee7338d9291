namespace Kubegate.Configuration;

/// <summary><c>config.rbac.v3.RBAC.Action</c>.</summary>
internal enum RbacAction
{
    /// <summary>Only connections matching a policy are allowed.</summary>
    Allow = 0,

    /// <summary>Connections matching a policy are denied.</summary>
    Deny = 1,

    /// <summary>Every connection is allowed; a match is only recorded.</summary>
    Log = 2,
}
