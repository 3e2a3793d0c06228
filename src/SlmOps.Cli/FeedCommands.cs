using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SlmOps.Packaging;

namespace SlmOps.Cli;

/// <summary>
/// <c>slmops package</c> and <c>slmops push</c>: a model's validated variants as one NuGet model package
/// (<see cref="ModelPackage"/>), and that package on a folder or HTTP NuGet v3 feed (<see cref="ModelFeed"/>).
/// </summary>
internal static class FeedCommands
{
    public static Command Package(CliContext context)
    {
        var folder = new Argument<string>("model-folder") { Description = "The model's folder a build prepared: obj/<configuration>/<framework>/slm/<Name>/ (a folder per target)." };
        var id = new Option<string>("--id") { Description = "The package id, e.g. Contoso.Models.MiniLm.", Required = true };
        var version = new Option<string?>("--version") { Description = "The package version, e.g. 1.2.0 (default: the SlmModel's Version metadata, which the manifests record)." };
        var output = new Option<string>("--output", "-o") { Description = "Where to write <id>.<version>.nupkg (default: the current folder).", DefaultValueFactory = _ => "." };
        var authors = new Option<string?>("--authors") { Description = "The package's authors (default: SlmOps)." };
        var description = new Option<string?>("--description") { Description = "The package's description (default: the model and its targets)." };
        var json = new Option<bool>("--json") { Description = "Print the package and its variants as JSON." };
        var command = new Command("package", "Pack a model's validated variants, one per target with its manifest, as a NuGet model package.")
        {
            folder, id, version, output, authors, description, json,
        };
        command.SetAction(parseResult =>
        {
            string modelFolder = Path.GetFullPath(parseResult.GetValue(folder)!);
            context.LogInvocation($"package {modelFolder}");
            return context.Run(modelFolder, "Packing the model", () =>
            {
                var (path, variants) = ModelPackage.Pack(modelFolder, parseResult.GetValue(id)!, parseResult.GetValue(version), parseResult.GetValue(output)!,
                    parseResult.GetValue(authors), parseResult.GetValue(description));
                long size = new FileInfo(path).Length;
                if (parseResult.GetValue(json))
                {
                    context.Out.WriteLine(JsonSerializer.Serialize(new
                    {
                        package = path,
                        bytes = size,
                        variants = variants.Select(v => new { target = v.Target.Name, runtimeIdentifier = v.Target.RuntimeIdentifier, precision = v.Precision, bytes = v.Files.Sum(f => f.Size) }),
                    }));
                }
                else
                {
                    context.Out.WriteLine($"Package    {path} ({InspectCommand.FormatBytes(size)})");
                    foreach (var v in variants)
                        context.Out.WriteLine($"Variant    {v.Target.Name} ({v.Target.RuntimeIdentifier}): {v.Precision}, {InspectCommand.FormatBytes(v.Files.Sum(f => f.Size))}");
                }

                return Program.Success;
            });
        });
        return command;
    }

    public static Command Push(CliContext context)
    {
        var package = new Argument<string>("package") { Description = "The model package (.nupkg) to push." };
        var source = new Option<string>("--source", "-s") { Description = "The feed: a folder (NuGet's folder layout) or an HTTP NuGet v3 service index URL.", Required = true };
        var apiKey = new Option<string?>("--api-key", "-k") { Description = "The HTTP feed's API key." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for an HTTP feed.", DefaultValueFactory = _ => 300 };
        var insecure = new Option<bool>("--allow-insecure-connections") { Description = "Allow an http:// feed (NuGet requires https by default)." };
        var command = new Command("push", "Verify a model package against its manifests and push it to a folder or HTTP NuGet v3 feed.")
        {
            package, source, apiKey, timeout, insecure,
        };
        command.SetAction(parseResult =>
        {
            string path = Path.GetFullPath(parseResult.GetValue(package)!);
            string feed = parseResult.GetValue(source)!;
            context.LogInvocation($"push {path}");
            return context.Run(path, "Pushing the package", () =>
            {
                ModelFeed.PushAsync(path, feed, parseResult.GetValue(apiKey), TimeSpan.FromSeconds(parseResult.GetValue(timeout)), parseResult.GetValue(insecure)).GetAwaiter().GetResult();
                context.Out.WriteLine($"Pushed     {Path.GetFileName(path)} to {feed}");
                return Program.Success;
            });
        });
        return command;
    }
}
