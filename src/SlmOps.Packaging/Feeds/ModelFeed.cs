using NuGet.Common;
using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Packaging.Signing;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;

namespace SlmOps.Packaging;

/// <summary>
/// Pushes model packages to a NuGet feed, the distribution .NET teams already run: a local folder feed (the
/// hierarchical layout NuGet restores from, <c>&lt;id&gt;/&lt;version&gt;/…</c>) or an HTTP NuGet v3 feed (its
/// <c>PackagePublish</c> resource), with NuGet.Protocol and the usual API key. The package is verified first
/// (<see cref="ModelPackage.Verify"/>): a tampered package is never pushed.
/// </summary>
public static class ModelFeed
{
    /// <summary>Pushes a model package to a feed.</summary>
    /// <param name="packagePath">The .nupkg, verified before anything is sent.</param>
    /// <param name="source">A folder path, or an http(s) NuGet v3 service index URL.</param>
    /// <param name="apiKey">The HTTP feed's API key (X-NuGet-ApiKey); null: none.</param>
    /// <param name="timeout">How long to wait for an HTTP feed.</param>
    /// <param name="allowInsecureConnections">Allow an http:// feed, which NuGet refuses by default (NuGet.Config's allowInsecureConnections).</param>
    /// <param name="cancellationToken">Cancels the push.</param>
    /// <exception cref="ModelPackageException">SLM5002 for a package that fails verification, SLM5003 when the feed does not take it.</exception>
    public static async Task PushAsync(string packagePath, string source, string? apiKey, TimeSpan timeout, bool allowInsecureConnections = false, CancellationToken cancellationToken = default)
    {
        string package = Path.GetFullPath(packagePath);
        ModelPackage.Verify(package);
        var log = new ErrorLog();
        try
        {
            if (Uri.TryCreate(source, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https")
            {
                SourceRepository repository = Repository.Factory.GetCoreV3(new PackageSource(source) { AllowInsecureConnections = allowInsecureConnections });
                PackageUpdateResource update = await repository.GetResourceAsync<PackageUpdateResource>(cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("its service index lists no PackagePublish resource.");
                await update.Push([package], symbolSource: null!, (int)Math.Ceiling(timeout.TotalSeconds), disableBuffering: false,
                    getApiKey: _ => apiKey ?? "", getSymbolApiKey: _ => "", noServiceEndpoint: false, skipDuplicate: false,
                    symbolPackageUpdateResource: null!, allowInsecureConnections, log).ConfigureAwait(false);
                // NuGet logs a refused push (HTTPS required, 403, 409, …) rather than throwing it.
                if (log.Errors.Count > 0) throw new InvalidOperationException(string.Join(" ", log.Errors));
            }
            else
            {
                string folder = Path.GetFullPath(source);
                Directory.CreateDirectory(folder);
                var extraction = new PackageExtractionContext(PackageSaveMode.Defaultv3, XmlDocFileSaveMode.None, ClientPolicyContext.GetClientPolicy(NullSettings.Instance, log), log);
                // Throw when the package is invalid, or already there with other content; keep one already there as is.
                await OfflineFeedUtility.AddPackageToSource(new OfflineFeedAddContext(package, folder, log, true, true, false, extraction), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not ModelPackageException and not OperationCanceledException)
        {
            throw new ModelPackageException(ModelPackageException.PushFailed, package,
                $"The feed '{source}' did not take the package: {ex.Message} Check the source, its API key, and that this id and version is not there already.", ex);
        }
    }

    /// <summary>NuGet's errors, kept for the message: NuGet reports the server's answer there rather than in an exception.</summary>
    private sealed class ErrorLog : LoggerBase
    {
        public List<string> Errors { get; } = [];

        public override void Log(ILogMessage message)
        {
            if (message.Level >= LogLevel.Error) Errors.Add(message.Message);
        }

        public override Task LogAsync(ILogMessage message)
        {
            Log(message);
            return Task.CompletedTask;
        }
    }
}
