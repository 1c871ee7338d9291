namespace Kubegate.Configuration.Binding;

/// <summary>A <c>google.protobuf.Any</c> (<c>typed_config</c>, <c>resources[]</c>): its <c>@type</c> and the message body.</summary>
/// <param name="TypeUrl">The <c>@type</c> as written.</param>
/// <param name="TypeLine">Line of the <c>@type</c> key.</param>
/// <param name="Body">The other fields, bound as the message the URL names (call <see cref="MessageReader.Finish"/>).</param>
internal sealed record AnyMessage(string TypeUrl, int TypeLine, MessageReader Body)
{
    public string MessageName => ProtoTypes.MessageName(TypeUrl);

    public bool Is(string typeName) => string.Equals(MessageName, typeName, StringComparison.Ordinal);
}
