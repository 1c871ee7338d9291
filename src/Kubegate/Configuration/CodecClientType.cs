namespace Kubegate.Configuration;

/// <summary><c>http_health_check.codec_client_type</c>.</summary>
internal enum CodecClientType
{
    Http1,
    Http2,
}
