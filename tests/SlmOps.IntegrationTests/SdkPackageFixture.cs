namespace SlmOps.IntegrationTests;

/// <summary>
/// Packs SlmOps.Sdk, SlmOps.Runtime and the slmops tool from the repository once per test run into a temporary folder feed, under a
/// version no other run uses (the NuGet cache never serves an older build of the same version). The packages are
/// removed from the global packages folder afterwards.
/// </summary>
public sealed class SdkPackageFixture : IDisposable
{
    public SdkPackageFixture()
    {
        Version = "0.1.0-it" + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff");
        FeedDirectory = Directory.CreateTempSubdirectory("slmops-feed-").FullName;
        string repo = RepoRootAttribute.Value;
        foreach (string project in new[] { "src/SlmOps.Runtime/SlmOps.Runtime.csproj", "sdk/SlmOps.Sdk/SlmOps.Sdk.csproj" })
        {
            DotNet.Run(repo, null, "pack", Path.Combine(repo, project), "-c", "Release", "-o", FeedDirectory,
                "-nr:false", "-p:UseSharedCompilation=false", $"-p:Version={Version}").AssertSuccess();
        }

        // The slmops tool package, as README packs it.
        DotNet.Run(repo, null, "pack", Path.Combine(repo, "src/SlmOps.Cli/SlmOps.Cli.csproj"), "-c", "Release", "-o", FeedDirectory,
            "-nr:false", "-p:UseSharedCompilation=false", "-p:SlmOpsPackTool=true", $"-p:Version={Version}").AssertSuccess();
    }

    public string Version { get; }

    public string FeedDirectory { get; }

    public void Dispose()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in new[] { "slmops.sdk", "slmops.runtime", "slmops" })
        {
            string folder = Path.Combine(packages, id, Version);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        Directory.Delete(FeedDirectory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class SdkCollection : ICollectionFixture<SdkPackageFixture>
{
    public const string Name = "SlmOps.Sdk package";
}
