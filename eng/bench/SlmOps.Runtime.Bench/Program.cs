// SlmOps.Runtime against hand-written ONNX Runtime code on the real MiniLM (eng/bench/README.md), one BenchmarkDotNet
// run: Run (what a generated wrapper's Run calls) vs OrtValues made per call and session.Run; the zero-copy Bind vs a
// hand-written OrtIoBinding. Compare each pair's ratio, not absolute times.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Microsoft.ML.OnnxRuntime;
using SlmOps.Runtime;
using SlmOps.Testing;

// No arguments: every benchmark; otherwise BenchmarkDotNet's own (e.g. --filter '*DecoderLoop*').
var switcher = BenchmarkSwitcher.FromTypes([typeof(MiniLmRun), typeof(DecoderLoop)]);
if (args.Length == 0) switcher.RunAll(); else switcher.Run(args);

[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class MiniLmRun
{
    private static readonly SlmTensorSpec[] Inputs =
    [
        new("input_ids", SlmElementType.Int64, SlmDimension.Symbolic("batch"), SlmDimension.Symbolic("sequence")),
        new("attention_mask", SlmElementType.Int64, SlmDimension.Symbolic("batch"), SlmDimension.Symbolic("sequence")),
        new("token_type_ids", SlmElementType.Int64, SlmDimension.Symbolic("batch"), SlmDimension.Symbolic("sequence")),
    ];

    private static readonly SlmTensorSpec[] Outputs =
    [
        new("last_hidden_state", SlmElementType.Float, SlmDimension.Symbolic("batch"), SlmDimension.Symbolic("sequence"), SlmDimension.Fixed(384)),
    ];

    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];
    private static readonly string[] OutputNames = ["last_hidden_state"];

    [Params(12, 128)]
    public int Tokens { get; set; }

    private SlmSession _slm = null!;
    private InferenceSession _ort = null!;
    private long[] _ids = null!, _mask = null!, _segments = null!;
    private SlmTensor[] _tensors = null!;
    private SlmBinding _slmBinding = null!;
    private OrtIoBinding _ortBinding = null!;
    private OrtValue[] _ortBound = null!;
    private RunOptions _runOptions = null!;

    [GlobalSetup]
    public void Setup()
    {
        // One session, one intra-op thread: the hand-written code runs on the SlmSession's own InferenceSession, so the
        // comparison is of the code around the run and not of two sessions' memory.
        _slm = SlmSession.Open(MiniLm.ModelPath, new SlmSessionOptions { IntraOpThreads = 1 });
        _ort = _slm.OrtSession;
        _ids = Enumerable.Range(0, Tokens).Select(i => 1000L + i).ToArray();
        _mask = Enumerable.Repeat(1L, Tokens).ToArray();
        _segments = new long[Tokens];
        _tensors = [SlmTensor<long>.Create(_ids, 1, Tokens), SlmTensor<long>.Create(_mask, 1, Tokens), SlmTensor<long>.Create(_segments, 1, Tokens)];
        _slmBinding = _slm.Bind(Inputs, _tensors, Outputs, [SlmTensor<float>.Zeros(1, Tokens, 384)]);
        _runOptions = new RunOptions();
        long[] shape = [1, Tokens];
        _ortBound =
        [
            OrtValue.CreateTensorValueFromMemory(_ids, shape),
            OrtValue.CreateTensorValueFromMemory(_mask, shape),
            OrtValue.CreateTensorValueFromMemory(_segments, shape),
            OrtValue.CreateTensorValueFromMemory(new float[Tokens * 384], [1, Tokens, 384]),
        ];
        _ortBinding = _ort.CreateIoBinding();
        for (int i = 0; i < 3; i++) _ortBinding.BindInput(InputNames[i], _ortBound[i]);
        _ortBinding.BindOutput(OutputNames[0], _ortBound[3]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _slmBinding.Dispose();
        _ortBinding.Dispose();
        foreach (var value in _ortBound) value.Dispose();
        _runOptions.Dispose();
        _slm.Dispose();
    }

    /// <summary>What a hand-written app does: OrtValues over its arrays, session.Run, read the output.</summary>
    [Benchmark(Baseline = true)]
    public float OrtRun()
    {
        long[] shape = [1, Tokens];
        using var ids = OrtValue.CreateTensorValueFromMemory(_ids, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(_mask, shape);
        using var segments = OrtValue.CreateTensorValueFromMemory(_segments, shape);
        using var results = _ort.Run(_runOptions, InputNames, [ids, mask, segments], OutputNames);
        return results[0].GetTensorDataAsSpan<float>()[0];
    }

    /// <summary>The generated wrapper's Run: checks the inputs, runs, copies the output into a new tensor.</summary>
    [Benchmark]
    public float SlmRun() => ((SlmTensor<float>)_slm.Run(Inputs, _tensors, Outputs)[0]).Span[0];

    /// <summary>A hand-written OrtIoBinding, bound once.</summary>
    [Benchmark]
    public void OrtBoundRun() => _ort.RunWithBinding(_runOptions, _ortBinding);

    /// <summary>The zero-copy path: SlmBinding, bound once.</summary>
    [Benchmark]
    public void SlmBoundRun() => _slmBinding.Run();
}

/// <summary>
/// The generation loop on the test decoder (DecoderFactory: 2 layers, grouped-query attention, 258 tokens; a larger
/// width so the model dominates as in real use): 64 greedy tokens after an 8-token prompt with SlmCausalLm, against a
/// minimal hand-written ONNX Runtime loop that feeds the presents back as the past, on the same session.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class DecoderLoop
{
    private const int Tokens = 64;
    private static readonly DecoderOptions Shape = new(Layers: 4, Heads: 8, KvHeads: 2, HeadSize: 32, Vocabulary: CausalLmFactory.Vocabulary);
    private static readonly int[] Prompt = [72, 101, 108, 108, 111, 32, 116, 104];

    private string _folder = null!;
    private SlmSession _session = null!;
    private SlmCausalLm _loop = null!;
    private string[] _inputNames = null!, _outputNames = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("slmops-bench-").FullName;
        string path = OnnxModelFactory.Write(_folder, "decoder.onnx", DecoderFactory.Create(Shape));
        _session = SlmSession.Open(path, new SlmSessionOptions { IntraOpThreads = 1 });
        var batch = SlmDimension.Symbolic("batch");
        var inputs = new List<SlmTensorSpec>
        {
            new("input_ids", SlmElementType.Int64, batch, SlmDimension.Symbolic("sequence")),
            new("attention_mask", SlmElementType.Int64, batch, SlmDimension.Symbolic("total")),
            new("position_ids", SlmElementType.Int64, batch, SlmDimension.Symbolic("sequence")),
        };
        var outputs = new List<SlmTensorSpec> { new("logits", SlmElementType.Float, batch, SlmDimension.Symbolic("sequence"), SlmDimension.Fixed(Shape.Vocabulary)) };
        for (int l = 0; l < Shape.Layers; l++)
        {
            foreach (string part in new[] { "key", "value" })
            {
                inputs.Add(new($"past_key_values.{l}.{part}", SlmElementType.Float, batch, SlmDimension.Fixed(Shape.KvHeads), SlmDimension.Symbolic("past"), SlmDimension.Fixed(Shape.HeadSize)));
                outputs.Add(new($"present.{l}.{part}", SlmElementType.Float, batch, SlmDimension.Fixed(Shape.KvHeads), SlmDimension.Symbolic("total"), SlmDimension.Fixed(Shape.HeadSize)));
            }
        }

        _loop = new SlmCausalLm(_session, [.. inputs], [.. outputs]);
        _inputNames = [.. inputs.Select(i => i.Name)];
        _outputNames = [.. outputs.Select(o => o.Name)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A minimal loop as an app would write it: greedy, presents fed back as the past, nothing else.</summary>
    [Benchmark(Baseline = true)]
    public int OrtLoop()
    {
        var session = _session.OrtSession;
        var past = new OrtValue[2 * Shape.Layers];
        for (int i = 0; i < past.Length; i++) past[i] = OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [1, Shape.KvHeads, 0, Shape.HeadSize]);
        using var runOptions = new RunOptions();
        long[] step = Prompt.Select(t => (long)t).ToArray();
        int total = 0, last = 0;
        var values = new OrtValue[_inputNames.Length];
        for (int produced = 0; produced < Tokens; produced++)
        {
            total += step.Length;
            values[0] = OrtValue.CreateTensorValueFromMemory(step, [1, step.Length]);
            values[1] = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, total).ToArray(), [1, total]);
            values[2] = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(total - step.Length, step.Length).Select(p => (long)p).ToArray(), [1, step.Length]);
            Array.Copy(past, 0, values, 3, past.Length);
            var results = session.Run(runOptions, _inputNames, values, _outputNames);
            for (int i = 0; i < 3; i++) values[i].Dispose();
            var logits = results[0].GetTensorDataAsSpan<float>();
            last = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits[((step.Length - 1) * Shape.Vocabulary)..]);
            results[0].Dispose();
            for (int i = 0; i < past.Length; i++)
            {
                past[i].Dispose();
                past[i] = results[i + 1];
            }

            step = [last];
        }

        foreach (var value in past) value.Dispose();
        return last;
    }

    /// <summary>SlmCausalLm.Generate, greedy, the same 64 tokens.</summary>
    [Benchmark]
    public int SlmLoop() => _loop.Generate(Prompt, new SlmGenerationOptions { MaxNewTokens = Tokens }).Last();
}
