using System.Text.Json.Serialization;

namespace Kubegate.Admin.DashboardModel;

/// <summary>
/// The one (source-generated, reflection-free) serializer of the dashboard document: snake_case names, so the admin
/// writes and <c>kubegate status</c> reads the same properties.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DashboardDocument))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;
