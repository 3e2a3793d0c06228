// SlmOps.Runtime against hand-written ONNX Runtime code on the real MiniLM (eng/bench/README.md), one BenchmarkDotNet
// run: Run (what a generated wrapper's Run calls) vs OrtValues made per call and session.Run; the zero-copy Bind vs a
// hand-written OrtIoBinding. Compare each pair's ratio, not absolute times.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Microsoft.ML.OnnxRuntime;
using SlmOps.Runtime;
using SlmOps.Testing;

BenchmarkRunner.Run<MiniLmRun>(args: args);

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
