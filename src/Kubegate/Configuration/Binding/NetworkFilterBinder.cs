using System.Collections.Immutable;
using System.Net;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// Binds the network filters kubegate runs on a new connection before <c>tcp_proxy</c>:
/// <c>envoy.filters.network.connection_limit</c>, <c>local_ratelimit</c> and <c>rbac</c> (with connection-level
/// principals and permissions).
/// </summary>
internal static class NetworkFilterBinder
{
    /// <summary>True for the filter types <see cref="Bind"/> reads (it returns null for them only after an error).</summary>
    public static bool IsKnown(AnyMessage any) =>
        any.Is(ProtoTypes.ConnectionLimit) || any.Is(ProtoTypes.LocalRateLimit) || any.Is(ProtoTypes.NetworkRbac);

    public static NetworkFilterConfig? Bind(BindContext ctx, AnyMessage any)
    {
        if (any.Is(ProtoTypes.ConnectionLimit))
        {
            return BindConnectionLimit(ctx, any.Body);
        }

        if (any.Is(ProtoTypes.LocalRateLimit))
        {
            return BindLocalRateLimit(ctx, any.Body);
        }

        return any.Is(ProtoTypes.NetworkRbac) ? BindRbac(ctx, any.Body) : null;
    }

    private static string? StatPrefix(BindContext ctx, MessageReader m)
    {
        var prefix = m.RequiredString("stat_prefix", "write stat_prefix: <name> (the filter's stats are named after it)");
        if (prefix is { Length: 0 })
        {
            ctx.Error(m.Line, m.Child("stat_prefix"), "stat_prefix must not be empty (min length 1)", "write stat_prefix: <name>");
            return null;
        }

        return prefix;
    }

    private static ConnectionLimitConfig? BindConnectionLimit(BindContext ctx, MessageReader m)
    {
        var errors = ctx.ErrorCount;
        var prefix = StatPrefix(ctx, m);
        var maxField = m.Find("max_connections");
        var max = ProtoValues.Int64(ctx, maxField);
        if (!maxField.HasValue)
        {
            m.Missing("max_connections", "write max_connections: <number of open connections the chain admits>");
        }
        else if (max is < 1)
        {
            ctx.Error(maxField.Line, maxField.Path, "max_connections must be at least 1 (as in Envoy)", "write max_connections: 1 or more");
        }

        var delay = m.Duration("delay");
        m.Finish();
        return prefix is null || max is null || ctx.ErrorCount != errors
            ? null
            : new ConnectionLimitConfig { StatPrefix = prefix, MaxConnections = max.Value, Delay = delay is { } d && d > TimeSpan.Zero ? d : null, Location = ctx.Location(m.Line) };
    }

    private static LocalRateLimitConfig? BindLocalRateLimit(BindContext ctx, MessageReader m)
    {
        var errors = ctx.ErrorCount;
        var prefix = StatPrefix(ctx, m);
        var bucketField = m.Find("token_bucket");
        var bucket = MessageReader.Open(ctx, bucketField, ProtoTypes.TokenBucket);
        long? maxTokens = null;
        long perFill = 1;
        TimeSpan? interval = null;
        if (bucket is null)
        {
            m.Missing("token_bucket", "write token_bucket: {max_tokens: 10, tokens_per_fill: 1, fill_interval: 1s}");
        }
        else
        {
            var maxField = bucket.Find("max_tokens");
            var max = ProtoValues.UInt32(ctx, maxField, wrapper: false);
            if (max is null or 0)
            {
                ctx.Error(maxField.Line, maxField.Path, "max_tokens must be at least 1", "write max_tokens: <burst of new connections>");
            }
            else
            {
                maxTokens = max;
            }

            var perFillField = bucket.Find("tokens_per_fill");
            var tokens = ProtoValues.UInt32(ctx, perFillField, wrapper: true);
            if (tokens == 0)
            {
                ctx.Error(perFillField.Line, perFillField.Path, "tokens_per_fill must be at least 1", "write tokens_per_fill: 1 (the default)");
            }

            perFill = tokens ?? 1;
            var intervalField = bucket.Find("fill_interval");
            interval = ProtoValues.Duration(ctx, intervalField);
            if (!intervalField.HasValue)
            {
                bucket.Missing("fill_interval", "write fill_interval: 1s");
            }
            else if (interval is { } i && i < TimeSpan.FromMilliseconds(50))
            {
                // Envoy: "local rate limit token bucket fill timer must be >= 50ms".
                ctx.Error(intervalField.Line, intervalField.Path, "fill_interval must be at least 50ms (as in Envoy)", "write fill_interval: 50ms or more");
            }

            bucket.Finish();
        }

        m.Finish();
        return prefix is null || maxTokens is null || interval is null || ctx.ErrorCount != errors
            ? null
            : new LocalRateLimitConfig { StatPrefix = prefix, MaxTokens = maxTokens.Value, TokensPerFill = perFill, FillInterval = interval.Value, Location = ctx.Location(m.Line) };
    }

    private static RbacConfig? BindRbac(BindContext ctx, MessageReader m)
    {
        var errors = ctx.ErrorCount;
        var prefix = StatPrefix(ctx, m);
        var rules = BindRules(ctx, m.Find("rules"));
        var shadow = BindRules(ctx, m.Find("shadow_rules"));
        var shadowPrefix = m.String("shadow_rules_stat_prefix") ?? string.Empty;
        m.Finish();
        return prefix is null || ctx.ErrorCount != errors
            ? null
            : new RbacConfig { StatPrefix = prefix, Rules = rules, ShadowRules = shadow, ShadowRulesStatPrefix = shadowPrefix, Location = ctx.Location(m.Line) };
    }

    private static readonly ProtoEnum RbacActionEnum = new("envoy.config.rbac.v3.RBAC.Action", ("ALLOW", 0), ("DENY", 1), ("LOG", 2));

    private static RbacRulesConfig? BindRules(BindContext ctx, Field field)
    {
        var rules = MessageReader.Open(ctx, field, ProtoTypes.RbacRules);
        if (rules is null)
        {
            return null;
        }

        var action = rules.Enum("action", RbacActionEnum) ?? 0;
        var policiesField = rules.Find("policies");
        var policies = ImmutableArray.CreateBuilder<RbacPolicyConfig>();
        if (policiesField.HasValue && policiesField.Node is not Yaml.ConfigMapping)
        {
            ctx.ParseError(policiesField.Line, policiesField.Path, $"policies is a map from policy name to policy, found {policiesField.Node!.Describe()}", "write policies: {<name>: {permissions: [{any: true}], principals: [...]}}");
        }
        else if (policiesField.Node is Yaml.ConfigMapping map)
        {
            // Envoy keeps policies in a sorted map and evaluates them in key order.
            foreach (var entry in map.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                var path = MessageReader.Child(policiesField.Path, entry.Key);
                var policy = MessageReader.Open(ctx, entry.Value, path, ProtoTypes.RbacPolicy, entry.Line);
                if (policy is null)
                {
                    continue;
                }

                var permissions = BindMatchList(ctx, policy.Find("permissions"), permission: true, policy);
                var principals = BindMatchList(ctx, policy.Find("principals"), permission: false, policy);
                policy.Finish();
                policies.Add(new RbacPolicyConfig { Name = entry.Key, Permissions = permissions, Principals = principals });
            }
        }

        rules.Finish();
        return new RbacRulesConfig { Action = (RbacAction)action, Policies = policies.ToImmutable() };
    }

    private static EquatableArray<RbacMatchConfig> BindMatchList(BindContext ctx, Field field, bool permission, MessageReader owner)
    {
        var elements = ProtoValues.List(ctx, field);
        if (elements.IsEmpty)
        {
            // Envoy: permissions and principals are required, with at least one item each.
            ctx.Error(field.HasValue ? field.Line : owner.Line, field.Path, $"a policy needs at least one {(permission ? "permission" : "principal")}", permission ? "write permissions: [{any: true}]" : "write principals: [{direct_remote_ip: {address_prefix: 10.0.0.0, prefix_len: 8}}]");
            return EquatableArray<RbacMatchConfig>.Empty;
        }

        var builder = ImmutableArray.CreateBuilder<RbacMatchConfig>(elements.Length);
        foreach (var element in elements)
        {
            if (BindMatch(ctx, element.Node, element.Path, element.Line, permission) is { } match)
            {
                builder.Add(match);
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>One permission or principal: exactly one rule of the oneof.</summary>
    private static RbacMatchConfig? BindMatch(BindContext ctx, Yaml.ConfigNode node, string path, int line, bool permission)
    {
        var m = MessageReader.Open(ctx, node, path, permission ? ProtoTypes.RbacPermission : ProtoTypes.RbacPrincipal, line);
        if (m is null)
        {
            return null;
        }

        var kinds = permission
            ? new[] { "any", "and_rules", "or_rules", "not_rule", "destination_ip", "destination_port" }
            : ["any", "and_ids", "or_ids", "not_id", "direct_remote_ip", "remote_ip", "source_ip"];
        RbacMatchConfig? result = null;
        var found = 0;
        foreach (var kind in kinds)
        {
            var f = m.Find(kind);
            if (!f.HasValue)
            {
                continue;
            }

            found++;
            result = kind switch
            {
                "any" => ProtoValues.Bool(ctx, f, wrapper: false) == true ? new RbacMatchConfig { Kind = RbacMatchKind.Any } : AnyFalse(ctx, f),
                "and_rules" or "and_ids" => BindSet(ctx, f, permission, RbacMatchKind.And),
                "or_rules" or "or_ids" => BindSet(ctx, f, permission, RbacMatchKind.Or),
                "not_rule" or "not_id" => BindMatch(ctx, f.Node!, f.Path, f.Line, permission) is { } inner ? new RbacMatchConfig { Kind = RbacMatchKind.Not, Children = [inner] } : null,
                "destination_port" => ProtoValues.UInt32(ctx, f, wrapper: false) is { } port and <= 65535 ? new RbacMatchConfig { Kind = RbacMatchKind.DestinationPort, Port = (int)port } : BadPort(ctx, f),
                "destination_ip" => BindCidr(ctx, f) is { } cidr ? new RbacMatchConfig { Kind = RbacMatchKind.DestinationIp, Cidr = cidr } : null,
                _ => BindCidr(ctx, f) is { } cidr ? new RbacMatchConfig { Kind = RbacMatchKind.SourceIp, Cidr = cidr } : null,
            };

            if (kind == "source_ip")
            {
                ctx.Deprecated(f.Line, f.Path, "source_ip", "write direct_remote_ip (the peer's address; the same address in kubegate)");
            }
        }

        m.Finish();
        if (found == 0)
        {
            ctx.Error(
                m.Line,
                path,
                $"this {(permission ? "permission" : "principal")} has no rule kubegate implements",
                permission
                    ? "kubegate decides per connection: write any: true, destination_port, destination_ip, and_rules, or_rules or not_rule"
                    : "kubegate decides per connection by address: write any: true, direct_remote_ip, remote_ip, and_ids, or_ids or not_id");
            return null;
        }

        if (found > 1)
        {
            ctx.Error(m.Line, path, $"this {(permission ? "permission" : "principal")} sets {found} rules; it is a oneof, set exactly one", permission ? "combine rules with and_rules: {rules: [...]}" : "combine principals with and_ids: {ids: [...]}");
            return null;
        }

        return result;
    }

    private static RbacMatchConfig? AnyFalse(BindContext ctx, Field f)
    {
        ctx.Error(f.Line, f.Path, "any must be true (Envoy rejects any: false)", "write any: true, or another rule");
        return null;
    }

    private static RbacMatchConfig? BadPort(BindContext ctx, Field f)
    {
        ctx.Error(f.Line, f.Path, "destination_port must be a port number 0..65535", "write destination_port: 6443");
        return null;
    }

    private static RbacMatchConfig? BindSet(BindContext ctx, Field f, bool permission, RbacMatchKind kind)
    {
        var set = MessageReader.Open(ctx, f, permission ? ProtoTypes.RbacPermissionSet : ProtoTypes.RbacPrincipalSet);
        if (set is null)
        {
            return null;
        }

        var listField = set.Find(permission ? "rules" : "ids");
        var children = ImmutableArray.CreateBuilder<RbacMatchConfig>();
        var elements = ProtoValues.List(ctx, listField);
        if (elements.IsEmpty)
        {
            ctx.Error(listField.Line, listField.Path, "the set needs at least one item", permission ? "write rules: [{any: true}]" : "write ids: [{any: true}]");
        }

        foreach (var element in elements)
        {
            if (BindMatch(ctx, element.Node, element.Path, element.Line, permission) is { } child)
            {
                children.Add(child);
            }
        }

        set.Finish();
        return children.Count == elements.Length && elements.Length > 0 ? new RbacMatchConfig { Kind = kind, Children = children.ToImmutable() } : null;
    }

    private static CidrRangeConfig? BindCidr(BindContext ctx, Field f)
    {
        var cidr = MessageReader.Open(ctx, f, ProtoTypes.CidrRange);
        if (cidr is null)
        {
            return null;
        }

        var prefixField = cidr.Find("address_prefix");
        var prefixText = ProtoValues.String(ctx, prefixField);
        var lengthField = cidr.Find("prefix_len");
        var length = ProtoValues.UInt32(ctx, lengthField, wrapper: true);
        cidr.Finish();
        if (prefixText is null || !IPAddress.TryParse(prefixText, out var prefix))
        {
            ctx.Error(prefixField.Line, prefixField.Path, $"address_prefix must be an IP address, found '{prefixText}'", "write address_prefix: 10.0.0.0 (with prefix_len: 8)");
            return null;
        }

        var max = prefix.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        if (length > max)
        {
            ctx.Error(lengthField.Line, lengthField.Path, $"prefix_len must be 0..{max} for {prefix}", $"write prefix_len: {max} for a single address");
            return null;
        }

        // Envoy: an unset prefix_len is 0, which matches every address of the family.
        return new CidrRangeConfig(prefix, (int)(length ?? 0));
    }
}
