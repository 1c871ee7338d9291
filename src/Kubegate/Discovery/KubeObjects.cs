using System.Text.Json.Serialization;

namespace Kubegate.Discovery;

// The few fields of discovery.k8s.io/v1 EndpointSlice, v1 Endpoints, their lists, watch events and v1 Status that
// discovery reads. One object type holds the fields of all three kinds: a watch event's "object" is a slice (or an
// Endpoints) except in an ERROR event, where it is a Status.

internal sealed class KubeList
{
    [JsonPropertyName("metadata")] public KubeMeta? Metadata { get; set; }

    [JsonPropertyName("items")] public List<KubeObject>? Items { get; set; }
}

internal sealed class KubeWatchEvent
{
    [JsonPropertyName("type")] public string? Type { get; set; }

    [JsonPropertyName("object")] public KubeObject? Object { get; set; }
}

internal sealed class KubeObject
{
    [JsonPropertyName("kind")] public string? Kind { get; set; }

    [JsonPropertyName("metadata")] public KubeMeta? Metadata { get; set; }

    // EndpointSlice
    [JsonPropertyName("addressType")] public string? AddressType { get; set; }

    [JsonPropertyName("endpoints")] public List<SliceEndpoint>? Endpoints { get; set; }

    [JsonPropertyName("ports")] public List<KubePort>? Ports { get; set; }

    // Endpoints
    [JsonPropertyName("subsets")] public List<EndpointSubset>? Subsets { get; set; }

    // Status (in an ERROR watch event)
    [JsonPropertyName("code")] public int? Code { get; set; }

    [JsonPropertyName("reason")] public string? Reason { get; set; }

    [JsonPropertyName("message")] public string? Message { get; set; }
}

internal sealed class KubeMeta
{
    [JsonPropertyName("name")] public string? Name { get; set; }

    [JsonPropertyName("resourceVersion")] public string? ResourceVersion { get; set; }
}

internal sealed class SliceEndpoint
{
    [JsonPropertyName("addresses")] public List<string>? Addresses { get; set; }

    [JsonPropertyName("conditions")] public SliceConditions? Conditions { get; set; }
}

internal sealed class SliceConditions
{
    [JsonPropertyName("ready")] public bool? Ready { get; set; }
}

internal sealed class KubePort
{
    [JsonPropertyName("name")] public string? Name { get; set; }

    [JsonPropertyName("port")] public int? Port { get; set; }

    [JsonPropertyName("protocol")] public string? Protocol { get; set; }
}

internal sealed class EndpointSubset
{
    [JsonPropertyName("addresses")] public List<EndpointAddress>? Addresses { get; set; }

    [JsonPropertyName("ports")] public List<KubePort>? Ports { get; set; }
}

internal sealed class EndpointAddress
{
    [JsonPropertyName("ip")] public string? Ip { get; set; }
}

[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(KubeList))]
[JsonSerializable(typeof(KubeWatchEvent))]
internal sealed partial class KubeJsonContext : JsonSerializerContext;
