using Kubegate.Configuration.Yaml;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// kubegate's own knobs live under an Envoy message's <c>metadata.filter_metadata.kubegate</c>: Envoy keeps
/// <c>filter_metadata</c> it has no filter for as opaque data, so a file carrying them still means the same thing to
/// Envoy. Other namespaces belong to other tools and are left alone.
/// </summary>
internal static class KubegateMetadata
{
    /// <summary>
    /// A reader over <c>filter_metadata.kubegate</c> of the <c>metadata</c> field, typed <paramref name="typeName"/>
    /// (so its unknown keys are reported as for any message), or null when there is none.
    /// </summary>
    public static MessageReader? Open(BindContext ctx, Field metadataField, string typeName)
    {
        var metadata = MessageReader.Open(ctx, metadataField, ProtoTypes.Metadata);
        if (metadata is null)
        {
            return null;
        }

        var filterMetadata = metadata.Find("filter_metadata");
        metadata.Finish();
        if (filterMetadata.Node is not ConfigMapping namespaces)
        {
            if (filterMetadata.Node is ConfigNode { } other and not ConfigScalar { IsNull: true })
            {
                ctx.ParseError(filterMetadata.Line, filterMetadata.Path, $"filter_metadata is a map of namespace to object, found {other.Describe()}", "write filter_metadata: {kubegate: {...}}");
            }

            return null;
        }

        foreach (var entry in namespaces.Entries)
        {
            if (string.Equals(entry.Key, "kubegate", StringComparison.Ordinal))
            {
                return MessageReader.Open(ctx, entry.Value, MessageReader.Child(filterMetadata.Path, entry.Key), typeName, entry.Line);
            }
        }

        return null;
    }
}
