using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlmOps.Cli.Tests;

/// <summary>Runs slmops in-process with captured output and its own environment.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error)
    {
        /// <summary>The <c>##slmops</c> diagnostic lines (errors, warnings, infos), split into their five fields.</summary>
        public IReadOnlyList<string[]> Diagnostics => Lines.Where(l => l[1] is not ("summary" or "progress")).ToList();

        /// <summary>The texts of the <c>##slmops</c> progress lines (a long step still running).</summary>
        public IReadOnlyList<string> Heartbeats => Lines.Where(l => l[1] == "progress").Select(l => l[4]).ToList();

        /// <summary>The texts of the <c>##slmops</c> summary lines, one per prepared model.</summary>
        public IReadOnlyList<string> Summaries => Lines.Where(l => l[1] == "summary").Select(l => l[4]).ToList();

        private IEnumerable<string[]> Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("##slmops\t", StringComparison.Ordinal))
            .Select(l => l.TrimEnd('\r').Split('\t'));
    }

    public static Result Run(string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int exit = Program.Run(args, stdout, stderr, name => environment is not null && environment.TryGetValue(name, out var v) ? v : null);
        return new Result(exit, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>A model entry of a request file, with the output folders under a build's obj folder.</summary>
internal sealed record RequestModel(string Source, string Name, string ObjDirectory, string Kind = "auto", string Sha256 = "", string Target = "linux-x64",
    IReadOnlyDictionary<string, string>? Settings = null)
{
    public string ModelDirectory => Path.Combine(ObjDirectory, "slm", Name) + Path.DirectorySeparatorChar;

    public string VariantDirectory => Path.Combine(ModelDirectory, Target) + Path.DirectorySeparatorChar;

    public string ContractPath => ModelDirectory + "contract.json";

    public string VariantModelPath => VariantDirectory + "model.onnx";

    public string ManifestPath => VariantDirectory + "manifest.json";

    public string DepsPath => VariantDirectory + "slmops.deps";

    public static string WriteRequest(string path, bool designTime, params RequestModel[] models) =>
        WriteRequest(path, designTime, progressInterval: null, models);

    public static string WriteRequest(string path, bool designTime, string? progressInterval, params RequestModel[] models)
    {
        var json = new JsonObject
        {
            ["designTime"] = designTime,
            ["progressInterval"] = progressInterval,
            ["models"] = new JsonArray(models.Select(m => (JsonNode)AddSettings(m, new JsonObject
            {
                ["source"] = m.Source,
                ["displayPath"] = "models/" + Path.GetFileName(m.Source),
                ["name"] = m.Name,
                ["namespace"] = "App.Models",
                ["kind"] = m.Kind,
                ["sha256"] = m.Sha256,
                ["target"] = m.Target,
                ["modelDirectory"] = m.ModelDirectory,
                ["variantDirectory"] = m.VariantDirectory,
            })).ToArray()),
        };
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <summary>Adds the quantization settings (request property name → value) of <paramref name="model"/>.</summary>
    private static JsonObject AddSettings(RequestModel model, JsonObject json)
    {
        foreach (var (key, value) in model.Settings ?? new Dictionary<string, string>()) json[key] = value;
        return json;
    }
}
