namespace Kubegate.FunctionalTests.Kubectl;

/// <summary>kubectl runs are whole processes: keep them from competing with each other for the two cores.</summary>
[CollectionDefinition(Name)]
public sealed class KubectlCollection
{
    public const string Name = "kubectl";
}
