namespace SlmOps.IntegrationTests;

/// <summary>The repository root, baked in at build time so the tests can pack the SDK from its sources.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class RepoRootAttribute(string path) : Attribute
{
    public string Path { get; } = path;

    public static string Value =>
        typeof(RepoRootAttribute).Assembly.GetCustomAttributes(typeof(RepoRootAttribute), false)
            .Cast<RepoRootAttribute>().Single().Path;
}
