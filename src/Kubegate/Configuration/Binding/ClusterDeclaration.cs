namespace Kubegate.Configuration.Binding;

/// <summary>
/// A cluster as far as it could be read, valid or not: its name and EDS source. Lets the loader check the EDS file of a
/// cluster that has other errors, and keeps "cluster not defined" warnings away from clusters that exist but failed.
/// </summary>
internal readonly record struct ClusterDeclaration(string Name, ConfigSourceConfig? EdsConfig, string ExpectedEdsClusterName);
