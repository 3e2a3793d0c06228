// Which variant of the fleet's model this app runs: SlmOps.Sdk built one per device class (SlmTarget items in the
// project) and shipped the one for this RID; its manifest says which, and how it was validated.
using System.Text.Json;
using EdgeFleet.Models;
using SlmOps.Runtime;

using var model = MiniLm.Load();
SlmModelManifest manifest = model.Manifest!;
using var json = JsonDocument.Parse(manifest.Json);
var root = json.RootElement;
string precision = root.TryGetProperty("auto", out var auto) ? "auto: " + auto.GetProperty("chosen").GetString() : manifest.Precision;
long bytes = root.GetProperty("files").EnumerateArray().Sum(f => f.GetProperty("size").GetInt64());
Console.WriteLine($"MiniLm {manifest.Version} ({manifest.Channel}) for {manifest.Target}: {precision}, {bytes / 1e6:F1} MB");
foreach (var gate in root.GetProperty("validation").GetProperty("gates").EnumerateArray())
{
    string measured = gate.GetProperty("measured").ValueKind == JsonValueKind.Number ? gate.GetProperty("measured").GetDouble().ToString("0.####") : "(timed, see the report)";
    Console.WriteLine($"  {gate.GetProperty("gate").GetString()} {measured} (limit {gate.GetProperty("threshold").GetDouble():0.####}): {(gate.GetProperty("passed").GetBoolean() ? "passed" : "FAILED")}");
}

// The variant runs: two token sequences of the same text give the same embedding.
long[] ids = [101, 7592, 2088, 102];
MiniLm.Output output = model.Run(SlmTensor<long>.Create(ids, 1, ids.Length), SlmTensor<long>.Create([1L, 1, 1, 1], 1, ids.Length));
Console.WriteLine($"Ran it: last_hidden_state [{string.Join(", ", output.LastHiddenState.Shape.ToArray())}]");
