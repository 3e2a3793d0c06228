using NuGet.Common;
using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Packaging.Signing;
using NuGet.Protocol.Core.Types;

namespace SlmOps.Packaging;

/// <summary>
/// Pushes model packages to a local folder feed, in the hierarchical layout NuGet restores from
/// (<c>&lt;id&gt;/&lt;version&gt;/…</c>), with NuGet.Protocol. The package is verified first
/// (<see cref="ModelPackage.Verify"/>): a tampered package is never pushed. A model package is a regular NuGet
/// package, so <c>dotnet nuget push</c> takes it to an HTTP feed.
/// </summary>
public static class ModelFeed
{
    /// <summary>Pushes a model package to a folder feed.</summary>
    /// <param name="packagePath">The .nupkg, verified before anything is written.</param>
    /// <param name="source">The feed's folder (created when missing).</param>
    /// <param name="cancellationToken">Cancels the push.</param>
    /// <exception cref="ModelPackageException">SLM5002 for a package that fails verification, SLM5003 when the feed does not take it.</exception>
    public static async Task PushAsync(string packagePath, string source, CancellationToken cancellationToken = default)
    {
        string package = Path.GetFullPath(packagePath);
        if (Uri.TryCreate(source, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https")
        {
            throw new ModelPackageException(ModelPackageException.PushFailed, package,
                $"'{source}' is an HTTP feed; slmops push writes to folder feeds. A model package is a regular NuGet package: push it with dotnet nuget push {Path.GetFileName(package)} --source {source} --api-key <key>.");
        }

        ModelPackage.Verify(package);
        var log = new QuietLogger();
        string folder = Path.GetFullPath(source);
        try
        {
            Directory.CreateDirectory(folder);
            var extraction = new PackageExtractionContext(PackageSaveMode.Defaultv3, XmlDocFileSaveMode.None, ClientPolicyContext.GetClientPolicy(NullSettings.Instance, log), log);
            // Throw when the package is invalid, or already there with other content; keep one already there as is.
            await OfflineFeedUtility.AddPackageToSource(new OfflineFeedAddContext(package, folder, log, true, true, false, extraction), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ModelPackageException and not OperationCanceledException)
        {
            throw new ModelPackageException(ModelPackageException.PushFailed, package, $"The folder feed '{folder}' did not take the package: {ex.Message} Check that the folder is writable and that another package of this id and version is not there already.", ex);
        }
    }

    private sealed class QuietLogger : LoggerBase
    {
        public override void Log(ILogMessage message)
        {
        }

        public override Task LogAsync(ILogMessage message) => Task.CompletedTask;
    }
}
