using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using SlmOps.Quantization.Kernels;
using SlmOps.Testing;

// Prints, in one run: kernel throughput next to a single-thread read-stream baseline measured the same way, then
// `slmops quantize` end to end on the real MiniLM (and with --large on a generated 4.3 GB external-data model).
// Compare ratios, not absolute numbers: machines are noisy.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
bool large = args.Contains("--large");
string configuration = args.SkipWhile(a => a != "--configuration").Skip(1).FirstOrDefault() ?? "release";
string repo = FindRepoRoot();
string portable = Path.Combine(repo, "artifacts", "bin", "SlmOps.Cli", configuration, "slmops.dll");
string readyToRun = Path.Combine(repo, "artifacts", "worker", "slmops.dll");
if (!File.Exists(portable) || !File.Exists(readyToRun))
{
    Console.Error.WriteLine($"Build both workers first: dotnet build eng/bench/SlmOps.Bench -c {configuration} (the portable one, {portable}) and");
    Console.Error.WriteLine($"dotnet publish src/SlmOps.Cli -c {configuration} --use-current-runtime -o artifacts/worker (ReadyToRun, as SlmOps.Sdk ships it for this RID).");
    return 1;
}

Kernels();
if (args.Contains("--kernels-only")) return 0;
Console.WriteLine();
EndToEnd(readyToRun, portable, large);
return 0;

static void Kernels()
{
    const int K = 4096, N = 8192; // 128 MiB of float input: far beyond the caches
    var weights = new float[K * N];
    var random = new Random(1);
    for (int i = 0; i < weights.Length; i++) weights[i] = (float)(random.NextDouble() * 2 - 1);
    long bytes = weights.LongLength * 4;

    var int4 = new BlockwiseFormat(4, 32, Symmetric: true);
    var int8 = new BlockwiseFormat(8, 32, Symmetric: true);
    var oneThread = new BlockwiseOptions { MaxDegreeOfParallelism = 1 };
    var packed4 = new byte[int4.PackedByteCount(K, N)];
    var packed8 = new byte[int8.PackedByteCount(K, N)];
    var scales = new float[N * int4.BlockCount(K)];
    var q = new byte[weights.Length];
    var channelScales = new float[N];
    var channelZeros = new byte[N];
    var half = new Half[weights.Length];

    double baseline = Best(() => TensorPrimitives.Sum(weights));
    var rows = new List<(string Name, double Seconds)>
    {
        ("read-stream baseline (TensorPrimitives.Sum, 1 thread)", baseline),
        ("int4 block 32 symmetric, scale search (default), 1 thread", Best(() => BlockwiseQuantizer.Quantize(weights, K, N, int4, packed4, scales, [], oneThread))),
        ("int4 block 32 symmetric, round to nearest, 1 thread", Best(() => BlockwiseQuantizer.Quantize(weights, K, N, int4, packed4, scales, [], oneThread with { ScaleSearch = false }))),
        ("int8 block 32 symmetric (int8-weight), scale search, 1 thread", Best(() => BlockwiseQuantizer.Quantize(weights, K, N, int8, packed8, scales, [], oneThread))),
        ("int8 per-channel unsigned (int8 dynamic, x64 default), 1 thread", Best(() => ChannelQuantizer.Quantize(weights, K, N, 1, Int8Scheme.Unsigned, q, channelScales, channelZeros))),
        ("fp16 convert with clamping, 1 thread", Best(() => HalfConverter.Convert(weights, half))),
        ($"int4 block 32 symmetric, scale search, {Environment.ProcessorCount} threads", Best(() => BlockwiseQuantizer.Quantize(weights, K, N, int4, packed4, scales, []))),
        ($"int4 block 32 symmetric, round to nearest, {Environment.ProcessorCount} threads", Best(() => BlockwiseQuantizer.Quantize(weights, K, N, int4, packed4, scales, [], new BlockwiseOptions { ScaleSearch = false }))),
        // The engine runs these per tensor, in parallel across tensors: here the matrix as two [K/2, N] tensors at once.
        ("int8 per-channel unsigned, two tensors in parallel", Best(() => Parallel.For(0, 2, part =>
        {
            int rows = K / 2, offset = part * rows * N;
            ChannelQuantizer.Quantize(weights.AsSpan(offset, rows * N), rows, N, 1, Int8Scheme.Unsigned, q.AsSpan(offset, rows * N), new float[N], new byte[N]);
        }))),
        ("fp16 convert with clamping, two tensors in parallel", Best(() => Parallel.For(0, 2, part =>
            HalfConverter.Convert(weights.AsSpan(part * weights.Length / 2, weights.Length / 2), half.AsSpan(part * weights.Length / 2, weights.Length / 2))))),
    };

    Console.WriteLine($"Kernels on a {K}x{N} float matrix ({bytes / 1048576} MiB), best of 5");
    Console.WriteLine($"| kernel | GB/s | ratio to read-stream |");
    Console.WriteLine($"|---|---:|---:|");
    foreach (var (name, seconds) in rows)
        Console.WriteLine($"| {name} | {bytes / seconds / 1e9:0.00} | {baseline / seconds:0.00} |");
}

static double Best(Action action)
{
    action();
    double best = double.MaxValue;
    for (int i = 0; i < 5; i++)
    {
        var clock = Stopwatch.StartNew();
        action();
        best = Math.Min(best, clock.Elapsed.TotalSeconds);
    }
    return best;
}

static void EndToEnd(string slmops, string portable, bool large)
{
    using var temp = new TempDirectory("slmops-bench");
    Console.WriteLine("`slmops quantize` end to end: whole process, .NET start-up included; median of 5 (peak RSS: the largest)");
    Console.WriteLine("ReadyToRun: the worker SlmOps.Sdk runs on a build machine of the RID it was packed on; portable IL: elsewhere.");
    Console.WriteLine("| model | precision | worker | time | peak RSS | output | reference (ORT Python, from issue #3) | time ratio | RSS ratio |");
    Console.WriteLine("|---|---|---|---:|---:|---:|---|---:|---:|");
    var references = new Dictionary<string, (double Seconds, double Megabytes)> { ["int4"] = (0.57, 265), ["int8"] = (5.2, 454) };
    // One untimed run of each worker first, so that no row pays for loading its files from disk.
    foreach (string worker in new[] { slmops, portable }) Quantize(worker, MiniLm.ModelPath, temp.Combine("warm-up.onnx"), "int4", temp, 1);
    var runs = new[] { ("int4", slmops), ("int4", portable), ("int8", slmops), ("int8", portable), ("int8-weight", slmops), ("fp16", slmops) };
    foreach (var (precision, worker) in runs)
    {
        var (seconds, rss, output) = Quantize(worker, MiniLm.ModelPath, temp.Combine($"minilm-{precision}.onnx"), precision, temp, 5);
        string reference = "", timeRatio = "", rssRatio = "";
        if (references.TryGetValue(precision, out var r))
        {
            reference = $"{r.Seconds:0.00} s, {r.Megabytes:0} MB";
            timeRatio = $"{r.Seconds / seconds:0.0}x faster";
            rssRatio = $"{rss / 1e6 / r.Megabytes:0.00}x";
        }
        string kind = worker == portable ? "portable IL" : "ReadyToRun";
        Console.WriteLine($"| MiniLM 90.9 MB | {precision} | {kind} | {seconds:0.00} s | {rss / 1e6:0} MB | {output / 1e6:0.0} MB | {reference} | {timeRatio} | {rssRatio} |");
    }

    if (!large) return;
    string modelDir = temp.CreateDirectory("large");
    var clock = Stopwatch.StartNew();
    string model = LargeModelFactory.Write(modelDir, 16, 8192, 8192);
    long size = new FileInfo(model).Length + new FileInfo(model + ".data").Length;
    Console.WriteLine($"(generated a {size / 1e9:0.00} GB external-data model in {clock.Elapsed.TotalSeconds:0.0} s)");
    foreach (string precision in new[] { "int4", "int8" })
    {
        var (seconds, rss, output) = Quantize(slmops, model, temp.Combine($"large-{precision}", "large.onnx"), precision, temp, 1);
        Console.WriteLine($"| generated {size / 1e9:0.00} GB | {precision} | ReadyToRun | {seconds:0.00} s | {rss / 1e6:0} MB | {output / 1e6:0.0} MB | peak RSS / model size | {rss / (double)size:0.000} | |");
        Directory.Delete(temp.Combine($"large-{precision}"), recursive: true);
    }
}

static (double Seconds, long PeakRss, long OutputBytes) Quantize(string slmops, string input, string output, string precision, TempDirectory temp, int runs)
{
    var times = new List<double>();
    long peak = 0;
    for (int i = 0; i < runs; i++)
    {
        string rssFile = temp.Combine("rss.txt");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "exec", slmops, "quantize", input, output, "--precision", precision }) start.ArgumentList.Add(arg);
        start.Environment["SLMOPS_PEAK_RSS_FILE"] = rssFile;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        times.Add(clock.Elapsed.TotalSeconds);
        if (process.ExitCode != 0) throw new InvalidOperationException($"slmops quantize failed ({process.ExitCode}): {stdout}{stderr}");
        peak = Math.Max(peak, long.Parse(File.ReadAllText(rssFile), CultureInfo.InvariantCulture));
    }
    times.Sort();
    string data = output + ".data";
    long bytes = new FileInfo(output).Length + (File.Exists(data) ? new FileInfo(data).Length : 0);
    return (times[times.Count / 2], peak, bytes);
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "SlmOps.Build.sln"))) return dir.FullName;
    }
    throw new InvalidOperationException("Run the benchmark from inside the repository.");
}
