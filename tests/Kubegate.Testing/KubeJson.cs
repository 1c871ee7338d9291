using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Kubegate.Testing;

/// <summary>
/// The kube-apiserver JSON documents the fake serves, written with <see cref="Utf8JsonWriter"/>: no reflection, and
/// the field order and casing are exactly kube's (kubectl does not care about order, humans reading captures do).
/// </summary>
internal static class KubeJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };

    /// <summary>Who the fake claims to be; kubectl warns only when client and server differ by more than one minor version.</summary>
    public const string GitVersion = "v1.32.4";

    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            body(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static void Status(Utf8JsonWriter w, int code, string reason, string message, string? detailsName = null, string? detailsKind = null)
    {
        w.WriteStartObject();
        w.WriteString("kind", "Status");
        w.WriteString("apiVersion", "v1");
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteString("status", "Failure");
        w.WriteString("message", message);
        w.WriteString("reason", reason);
        w.WriteStartObject("details");
        if (detailsName is not null)
        {
            w.WriteString("name", detailsName);
        }

        if (detailsKind is not null)
        {
            w.WriteString("kind", detailsKind);
        }

        w.WriteEndObject();
        w.WriteNumber("code", code);
        w.WriteEndObject();
    }

    public static void Version(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("major", "1");
        w.WriteString("minor", "32");
        w.WriteString("emulationMajor", "1");
        w.WriteString("emulationMinor", "32");
        w.WriteString("minCompatibilityMajor", "1");
        w.WriteString("minCompatibilityMinor", "31");
        w.WriteString("gitVersion", GitVersion);
        w.WriteString("gitCommit", "0000000000000000000000000000000000000000");
        w.WriteString("gitTreeState", "clean");
        w.WriteString("buildDate", "2025-01-01T00:00:00Z");
        w.WriteString("goVersion", "go1.23.0");
        w.WriteString("compiler", "gc");
        w.WriteString("platform", "linux/amd64");
        w.WriteEndObject();
    }

    public static void ApiVersions(Utf8JsonWriter w, string serverAddress)
    {
        w.WriteStartObject();
        w.WriteString("kind", "APIVersions");
        w.WriteStartArray("versions");
        w.WriteStringValue("v1");
        w.WriteEndArray();
        w.WriteStartArray("serverAddressByClientCIDRs");
        w.WriteStartObject();
        w.WriteString("clientCIDR", "0.0.0.0/0");
        w.WriteString("serverAddress", serverAddress);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void ApiGroupList(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("kind", "APIGroupList");
        w.WriteString("apiVersion", "v1");
        w.WriteStartArray("groups");
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void CoreV1Resources(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("kind", "APIResourceList");
        w.WriteString("groupVersion", "v1");
        w.WriteStartArray("resources");
        w.WriteStartObject();
        w.WriteString("name", "namespaces");
        w.WriteString("singularName", "namespace");
        w.WriteBoolean("namespaced", false);
        w.WriteString("kind", "Namespace");
        w.WriteStartArray("verbs");
        w.WriteStringValue("get");
        w.WriteStringValue("list");
        w.WriteStringValue("watch");
        w.WriteEndArray();
        w.WriteStartArray("shortNames");
        w.WriteStringValue("ns");
        w.WriteEndArray();
        w.WriteString("storageVersionHash", "Q3oi5N2YM8M=");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>A full Namespace; <paramref name="tick"/> adds the annotation the watch's synthetic MODIFIED events carry.</summary>
    public static void Namespace(Utf8JsonWriter w, NamespaceRecord ns, long? tick = null)
    {
        w.WriteStartObject();
        w.WriteString("kind", "Namespace");
        w.WriteString("apiVersion", "v1");
        Metadata(w, ns, tick);
        w.WriteStartObject("spec");
        w.WriteStartArray("finalizers");
        w.WriteStringValue("kubernetes");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("status");
        w.WriteString("phase", ns.Phase);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void NamespaceList(Utf8JsonWriter w, IReadOnlyList<NamespaceRecord> namespaces, long resourceVersion)
    {
        w.WriteStartObject();
        w.WriteString("kind", "NamespaceList");
        w.WriteString("apiVersion", "v1");
        w.WriteStartObject("metadata");
        w.WriteString("resourceVersion", resourceVersion.ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
        w.WriteStartArray("items");
        foreach (var ns in namespaces)
        {
            Namespace(w, ns);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// A <c>meta.k8s.io/v1</c> Table, what kubectl asks for (<c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c>)
    /// to print <c>kubectl get</c> output; <paramref name="includeObject"/> is the request's <c>includeObject</c>
    /// (None, Metadata — kube's default — or Object).
    /// </summary>
    public static void Table(Utf8JsonWriter w, IReadOnlyList<NamespaceRecord> namespaces, long resourceVersion, DateTimeOffset now, string includeObject, bool includeColumns = true, long? tick = null)
    {
        w.WriteStartObject();
        w.WriteString("kind", "Table");
        w.WriteString("apiVersion", "meta.k8s.io/v1");
        w.WriteStartObject("metadata");
        w.WriteString("resourceVersion", resourceVersion.ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
        if (includeColumns)
        {
            w.WriteStartArray("columnDefinitions");
            Column(w, "Name", "name", "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names");
            Column(w, "Status", "", "The status of the namespace");
            Column(w, "Age", "", "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata");
            w.WriteEndArray();
        }

        w.WriteStartArray("rows");
        foreach (var ns in namespaces)
        {
            w.WriteStartObject();
            w.WriteStartArray("cells");
            w.WriteStringValue(ns.Name);
            w.WriteStringValue(ns.Phase);
            w.WriteStringValue(HumanDuration(now - ns.CreationTimestamp));
            w.WriteEndArray();
            switch (includeObject)
            {
                case "None":
                    break;
                case "Object":
                    w.WritePropertyName("object");
                    Namespace(w, ns, tick);
                    break;
                default:
                    w.WriteStartObject("object");
                    w.WriteString("kind", "PartialObjectMetadata");
                    w.WriteString("apiVersion", "meta.k8s.io/v1");
                    Metadata(w, ns, tick);
                    w.WriteEndObject();
                    break;
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>kube's <c>duration.HumanDuration</c> (k8s.io/apimachinery/pkg/util/duration), which <c>kubectl get</c> prints as AGE.</summary>
    public static string HumanDuration(TimeSpan age)
    {
        var seconds = (long)age.TotalSeconds;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 60 * 2)
        {
            return $"{seconds}s";
        }

        var minutes = seconds / 60;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? $"{minutes}m" : $"{minutes}m{s}s";
        }

        if (minutes < 60 * 3)
        {
            return $"{minutes}m";
        }

        var hours = minutes / 60;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? $"{hours}h" : $"{hours}h{m}m";
        }

        if (hours < 48)
        {
            return $"{hours}h";
        }

        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? $"{hours / 24}d" : $"{hours / 24}d{h}h";
        }

        if (hours < 24 * 365 * 2)
        {
            return $"{hours / 24}d";
        }

        if (hours < 24 * 365 * 8)
        {
            var d = hours / 24 % 365;
            return d == 0 ? $"{hours / 24 / 365}y" : $"{hours / 24 / 365}y{d}d";
        }

        return $"{hours / 24 / 365}y";
    }

    private static void Metadata(Utf8JsonWriter w, NamespaceRecord ns, long? tick)
    {
        w.WriteStartObject("metadata");
        w.WriteString("name", ns.Name);
        w.WriteString("uid", ns.Uid);
        w.WriteString("resourceVersion", ns.ResourceVersion.ToString(CultureInfo.InvariantCulture));
        w.WriteString("creationTimestamp", ns.CreationTimestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteStartObject("labels");
        w.WriteString("kubernetes.io/metadata.name", ns.Name);
        w.WriteEndObject();
        if (tick is { } value)
        {
            w.WriteStartObject("annotations");
            w.WriteString(FakeApiServer.WatchTickAnnotation, value.ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void Column(Utf8JsonWriter w, string name, string format, string description)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("type", "string");
        w.WriteString("format", format);
        w.WriteString("description", description);
        w.WriteNumber("priority", 0);
        w.WriteEndObject();
    }
}
