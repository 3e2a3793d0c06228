// The fleet's model, restored from a feed as a model package: SlmOps.Sdk verified the package against its manifests
// and took the variant made for this RID; the manifest says which, how it was validated and where it came from.
using FleetDevice.Models;
using SlmOps.Runtime;

using var model = MiniLm.Load();
SlmModelManifest manifest = model.Manifest!;
Console.WriteLine($"{manifest} ({manifest.Channel}), validated with ONNX Runtime {manifest.ValidatedWithOnnxRuntime}: {(manifest.ValidationPassed == true ? "passed" : "not passed")}");

// The variant runs: [CLS] hello world [SEP].
long[] ids = [101, 7592, 2088, 102];
MiniLm.Output output = model.Run(SlmTensor<long>.Create(ids, 1, ids.Length), SlmTensor<long>.Create([1L, 1, 1, 1], 1, ids.Length));
Console.WriteLine($"Ran it: last_hidden_state [{string.Join(", ", output.LastHiddenState.Shape.ToArray())}]");
