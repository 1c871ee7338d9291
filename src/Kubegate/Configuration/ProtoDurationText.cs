using System.Globalization;

namespace Kubegate.Configuration;

/// <summary>
/// A duration as proto3 JSON writes it (<c>google.protobuf.Duration</c>): seconds with up to nine decimals and an
/// <c>s</c>, e.g. <c>3s</c>, <c>0.5s</c>. The one formatter for config errors' fixes and the admin's config dump.
/// </summary>
internal static class ProtoDurationText
{
    public static string Format(decimal seconds) => seconds.ToString("0.#########", CultureInfo.InvariantCulture) + "s";

    public static string Format(TimeSpan value) => Format((decimal)value.Ticks / TimeSpan.TicksPerSecond);
}
