using System.Collections.Immutable;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// Reads a dynamic file as Envoy's filesystem subscription does: an <c>envoy.service.discovery.v3.DiscoveryResponse</c>
/// with <c>version_info</c> and <c>resources</c> (each an Any of the expected type); <c>type_url</c>, <c>nonce</c>
/// are ignored; an empty file has no resources.
/// </summary>
internal static class DiscoveryResponseBinder
{
    private static readonly string[] BareResourceKeys = ["name", "address", "filter_chains", "cluster_name", "endpoints", "type", "lb_policy", "connect_timeout"];

    public static (string? VersionInfo, ImmutableArray<AnyMessage> Resources) Read(BindContext ctx, ConfigNode? root, string expectedTypeName, string kind)
    {
        if (root is null)
        {
            return (null, []);
        }

        var example = $"resources:\n- \"@type\": {ProtoTypes.Url(expectedTypeName)}\n  ...";
        if (root is ConfigSequence)
        {
            ctx.ParseError(root.Line, string.Empty, $"{kind} files hold a DiscoveryResponse object, not a list", $"put the list under resources: with an \"@type\" on each entry ({example.Replace('\n', ' ')})");
            return (null, []);
        }

        var m = MessageReader.Open(ctx, root, string.Empty, ProtoTypes.DiscoveryResponse);
        if (m is null)
        {
            return (null, []);
        }

        if (!m.IsWritten("resources") && m.Node.Entries.Any(e => BareResourceKeys.Contains(e.Key)))
        {
            ctx.Error(
                root.Line,
                string.Empty,
                $"this {kind} file holds a bare resource; a dynamic file is a DiscoveryResponse with a resources list",
                $"indent the resource under resources: and add \"@type\": {ProtoTypes.Url(expectedTypeName)} to it");
            return (null, []);
        }

        var version = m.String("version_info");
        var builder = ImmutableArray.CreateBuilder<AnyMessage>();
        foreach (var element in m.List("resources"))
        {
            var field = new Field("resources", "resources", element.Node, element.Path, element.Line);
            if (element.Node is ConfigScalar { IsNull: true })
            {
                ctx.ParseError(element.Line, element.Path, "empty entry in resources", "remove the lone '-'");
                continue;
            }

            var any = MessageReader.OpenAny(ctx, field, expectedTypeName);
            if (any is null)
            {
                continue;
            }

            if (!any.Is(expectedTypeName))
            {
                ctx.Error(
                    any.TypeLine,
                    MessageReader.Child(element.Path, "@type"),
                    $"{kind} files hold {expectedTypeName} resources; found \"@type\" '{any.TypeUrl}'",
                    $"write \"@type\": {ProtoTypes.Url(expectedTypeName)}");
                continue;
            }

            builder.Add(any);
        }

        m.Finish();
        return (version, builder.ToImmutable());
    }
}
