using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health.Active;

namespace Kubegate.Health;

/// <summary>Makes the probe that checks one host; tests substitute scripted probes for the HTTP and TCP ones.</summary>
internal delegate HealthProbe HealthProbeFactory(ClusterConfig cluster, HealthCheckConfig healthCheck, EndpointState host);
