namespace Kubegate.Configuration.Binding;

/// <summary>Which kind of file is being bound; decides how unknown fields are treated.</summary>
internal enum ConfigFileKind
{
    /// <summary>Static config: unknown fields are fatal, as in Envoy without <c>--allow-unknown-static-fields</c>.</summary>
    Bootstrap,

    /// <summary>LDS file: unknown fields are warnings unless <c>--reject-unknown-dynamic-fields</c>.</summary>
    Listeners,

    /// <summary>CDS file.</summary>
    Clusters,

    /// <summary>EDS file.</summary>
    Endpoints,
}
