namespace Kubegate.Admin;

/// <summary>What an admin handler answers: status, content type and the whole body (admin output is small).</summary>
internal readonly record struct AdminResponse(int StatusCode, string ContentType, string Body)
{
    public const string TextContentType = "text/plain; charset=UTF-8";
    public const string JsonContentType = "application/json";
    public const string PrometheusContentType = "text/plain; version=0.0.4";

    public static AdminResponse Text(string body, int statusCode = 200) => new(statusCode, TextContentType, body);

    public static AdminResponse Json(string body, int statusCode = 200) => new(statusCode, JsonContentType, body);
}
