using System.Security;

namespace SlmOps.IntegrationTests;

/// <summary>A temporary console app that uses SlmOps.Sdk from the test feed; deleted on dispose.</summary>
public sealed class TestProject : IDisposable
{
    private readonly SdkPackageFixture _sdk;

    /// <param name="sdk">The feed with the SDK packages under test.</param>
    /// <param name="name">The project's name.</param>
    /// <param name="asPackageReference">Reference the SDK as a PackageReference instead of an MSBuild SDK.</param>
    /// <param name="feeds">More package sources for nuget.config (folders or URLs), such as a feed of model packages.</param>
    public TestProject(SdkPackageFixture sdk, string name = "App", bool asPackageReference = false, IEnumerable<string>? feeds = null)
    {
        _sdk = sdk;
        Name = name;
        AsPackageReference = asPackageReference;
        Root = System.IO.Directory.CreateTempSubdirectory("slmops-it-").FullName;
        Directory = System.IO.Path.Combine(Root, name);
        System.IO.Directory.CreateDirectory(Directory);
        InvocationLog = System.IO.Path.Combine(Root, "invocations.log");

        File.WriteAllText(System.IO.Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="test-feed" value="{SecurityElement.Escape(sdk.FeedDirectory)}" />
                {string.Concat((feeds ?? []).Select((feed, i) => $"<add key=\"feed-{i}\" value=\"{SecurityElement.Escape(feed)}\" allowInsecureConnections=\"true\" />"))}
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(System.IO.Path.Combine(Root, "global.json"), $$"""
            {
              "sdk": { "version": "10.0.100", "rollForward": "latestFeature" },
              "msbuild-sdks": { "SlmOps.Sdk": "{{sdk.Version}}" }
            }
            """);
    }

    public string Name { get; }

    public bool AsPackageReference { get; }

    /// <summary>Folder with nuget.config and global.json.</summary>
    public string Root { get; }

    /// <summary>The project folder.</summary>
    public string Directory { get; }

    /// <summary>The worker appends a line here each time it starts.</summary>
    public string InvocationLog { get; }

    public string Path(string relative) => System.IO.Path.Combine(Directory, relative);

    public string OutputDirectory => Path("bin/Debug/net10.0");

    /// <summary>
    /// Writes the project file with the given SlmModel items (and any other MSBuild XML), for one target framework
    /// or, given a ';'-separated list, for several.
    /// </summary>
    public void WriteProject(string items, string properties = "", string targetFramework = "net10.0")
    {
        string framework = targetFramework.Contains(';')
            ? $"<TargetFrameworks>{targetFramework}</TargetFrameworks>"
            : $"<TargetFramework>{targetFramework}</TargetFramework>";
        string sdkLine = AsPackageReference ? "" : "<Sdk Name=\"SlmOps.Sdk\" />";
        string packageReference = AsPackageReference
            ? $"<ItemGroup><PackageReference Include=\"SlmOps.Sdk\" Version=\"{_sdk.Version}\" /></ItemGroup>"
            : "";
        File.WriteAllText(Path(Name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              {sdkLine}
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                {framework}
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                {properties}
              </PropertyGroup>
              {packageReference}
              <ItemGroup>
                {items}
              </ItemGroup>
            </Project>
            """);
    }

    public void WriteProgram(string code) => File.WriteAllText(Path("Program.cs"), code);

    public Dictionary<string, string> Environment => new() { ["SLMOPS_INVOCATION_LOG"] = InvocationLog };

    public CommandResult Build(params string[] extra) => DotNet.Build(Directory, Environment, extra);

    public CommandResult Dotnet(params string[] args) => DotNet.Run(Directory, Environment, args);

    public string[] Invocations => File.Exists(InvocationLog) ? File.ReadAllLines(InvocationLog) : [];

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
