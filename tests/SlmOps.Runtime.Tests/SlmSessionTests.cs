using static SlmOps.Runtime.Tests.TinyOnnx;

namespace SlmOps.Runtime.Tests;

public sealed class SlmSessionTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "slmops-runtime-tests", Guid.NewGuid().ToString("N"));

    private static readonly SlmTensorSpec[] AddInputs =
    {
        new("a", SlmElementType.Float, SlmDimension.Symbolic("batch"), SlmDimension.Fixed(3)),
        new("b", SlmElementType.Float, SlmDimension.Symbolic("batch"), SlmDimension.Fixed(3)),
    };

    private static readonly SlmTensorSpec[] AddOutputs =
    {
        new("sum", SlmElementType.Float, SlmDimension.Symbolic("batch"), SlmDimension.Fixed(3)),
    };

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Run_returns_the_outputs_the_model_computes()
    {
        using var session = OpenAddModel();
        var a = SlmTensor<float>.Create(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = SlmTensor<float>.Create(new float[] { 10, 20, 30, 40, 50, 60 }, 2, 3);

        SlmTensor[] outputs = session.Run(AddInputs, new SlmTensor[] { a, b }, AddOutputs);

        var sum = Assert.IsType<SlmTensor<float>>(Assert.Single(outputs));
        Assert.Equal(new long[] { 2, 3 }, sum.Shape.ToArray());
        Assert.Equal(new float[] { 11, 22, 33, 44, 55, 66 }, sum.ToArray());
    }

    [Fact]
    public void Run_leaves_the_inputs_untouched_and_returns_independent_outputs()
    {
        using var session = OpenAddModel();
        var a = SlmTensor<float>.Create(new float[] { 1, 1, 1 }, 1, 3);
        var b = SlmTensor<float>.Create(new float[] { 2, 2, 2 }, 1, 3);

        var first = (SlmTensor<float>)session.Run(AddInputs, new SlmTensor[] { a, b }, AddOutputs)[0];
        a.Span[0] = 100;
        var second = (SlmTensor<float>)session.Run(AddInputs, new SlmTensor[] { a, b }, AddOutputs)[0];

        Assert.Equal(3, first[0, 0]);
        Assert.Equal(102, second[0, 0]);
        Assert.Equal(new float[] { 2, 2, 2 }, b.ToArray());
    }

    [Fact]
    public void Float16_tensors_travel_as_system_half()
        => AssertIdentityRoundTrip(OnnxType.Float16, SlmElementType.Float16, new[] { (Half)1.5f, (Half)(-2f), Half.MaxValue });

    [Fact]
    public void Int64_tensors_round_trip()
        => AssertIdentityRoundTrip(OnnxType.Int64, SlmElementType.Int64, new[] { long.MinValue, 0L, 101L, long.MaxValue });

    [Fact]
    public void Bool_tensors_round_trip()
        => AssertIdentityRoundTrip(OnnxType.Bool, SlmElementType.Bool, new[] { true, false, true });

    [Fact]
    public void Uint8_and_double_tensors_round_trip()
    {
        AssertIdentityRoundTrip(OnnxType.UInt8, SlmElementType.UInt8, new byte[] { 0, 127, 255 });
        AssertIdentityRoundTrip(OnnxType.Double, SlmElementType.Double, new[] { Math.PI, -0.0, double.Epsilon });
    }

    [Fact]
    public void Run_rejects_an_input_of_the_wrong_rank_naming_it_with_both_shapes()
    {
        using var session = OpenAddModel();
        var a = SlmTensor<float>.Zeros(3);
        var b = SlmTensor<float>.Zeros(1, 3);

        var ex = Assert.Throws<ArgumentException>(() => session.Run(AddInputs, new SlmTensor[] { a, b }, AddOutputs));

        Assert.Contains("Input 'a' has shape [3] (rank 1), but the model expects shape [batch, 3] (rank 2)", ex.Message);
    }

    [Fact]
    public void Run_rejects_a_fixed_dimension_that_does_not_match()
    {
        using var session = OpenAddModel();
        var a = SlmTensor<float>.Zeros(1, 3);
        var b = SlmTensor<float>.Zeros(1, 4);

        var ex = Assert.Throws<ArgumentException>(() => session.Run(AddInputs, new SlmTensor[] { a, b }, AddOutputs));

        Assert.Contains("Input 'b' has shape [1, 4], but the model expects shape [batch, 3]: dimension 1 must be 3", ex.Message);
    }

    [Fact]
    public void Run_rejects_inputs_that_disagree_on_a_shared_symbolic_dimension()
    {
        using var session = OpenAddModel();
        var a = SlmTensor<float>.Zeros(2, 3);
        var b = SlmTensor<float>.Zeros(1, 3);

        var ex = Assert.Throws<ArgumentException>(() => session.Run(AddInputs, new SlmTensor[] { a, b }, AddOutputs));

        Assert.Contains("dimension 'batch' is 2 in input 'a' and 1 here", ex.Message);
        Assert.StartsWith("Input 'b'", ex.Message);
    }

    [Fact]
    public void Run_rejects_a_missing_input_or_one_of_the_wrong_element_type()
    {
        using var session = OpenAddModel();
        var good = SlmTensor<float>.Zeros(1, 3);

        var missing = Assert.Throws<ArgumentException>(() => session.Run(AddInputs, new SlmTensor[] { good, null! }, AddOutputs));
        var wrongType = Assert.Throws<ArgumentException>(() => session.Run(AddInputs, new SlmTensor[] { SlmTensor<double>.Zeros(1, 3), good }, AddOutputs));
        var wrongCount = Assert.Throws<ArgumentException>(() => session.Run(AddInputs, new SlmTensor[] { good }, AddOutputs));

        Assert.Contains("Input 'b' is missing", missing.Message);
        Assert.Contains("Input 'a' has element type double, but the model expects float", wrongType.Message);
        Assert.Contains("takes 2 inputs, but 1 were given", wrongCount.Message);
    }

    [Fact]
    public void Run_reports_an_output_whose_element_type_differs_from_the_contract()
    {
        using var session = OpenAddModel();
        var staleOutputs = new[] { new SlmTensorSpec("sum", SlmElementType.Double, SlmDimension.Symbolic("batch"), SlmDimension.Fixed(3)) };
        var a = SlmTensor<float>.Zeros(1, 3);

        var ex = Assert.Throws<InvalidOperationException>(() => session.Run(AddInputs, new SlmTensor[] { a, a }, staleOutputs));

        Assert.Contains("Output 'sum'", ex.Message);
        Assert.Contains("rebuild", ex.Message);
    }

    [Fact]
    public void OpenModelDirectory_explains_where_the_sdk_puts_models_when_the_file_is_missing()
    {
        string missing = Path.Combine(_directory, "models", "MiniLm");

        var ex = Assert.Throws<FileNotFoundException>(() => SlmSession.OpenModelDirectory(missing, "MiniLm"));

        Assert.Equal(Path.Combine(missing, "model.onnx"), ex.FileName);
        Assert.Contains(Path.Combine(missing, "model.onnx"), ex.Message);
        Assert.Contains("models/MiniLm/model.onnx", ex.Message);
    }

    [Fact]
    public void Open_reports_a_file_that_is_not_an_onnx_model_as_invalid_data()
    {
        Directory.CreateDirectory(_directory);
        string path = Path.Combine(_directory, "model.onnx");
        File.WriteAllText(path, "this is not protobuf");

        var ex = Assert.Throws<InvalidDataException>(() => SlmSession.Open(path));

        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Options_reach_onnx_runtime_and_the_session_exposes_graph_names()
    {
        bool configured = false;
        var options = new SlmSessionOptions
        {
            IntraOpThreads = 1,
            InterOpThreads = 1,
            GraphOptimizationLevel = SlmGraphOptimizationLevel.None,
            ExecutionMode = SlmExecutionMode.Parallel,
            ConfigureOnnxRuntime = ort =>
            {
                configured = true;
                Assert.Equal(1, ort.IntraOpNumThreads);
                Assert.Equal(Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL, ort.GraphOptimizationLevel);
                Assert.Equal(Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_PARALLEL, ort.ExecutionMode);
            },
        };

        using var session = OpenAddModel(options);

        Assert.True(configured);
        Assert.Equal(new[] { "a", "b" }, session.InputNames);
        Assert.Equal(new[] { "sum" }, session.OutputNames);
    }

    [Fact]
    public void Negative_thread_counts_are_rejected_before_anything_opens()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OpenAddModel(new SlmSessionOptions { IntraOpThreads = -1 }));
    }

    [Fact]
    public void A_disposed_session_refuses_to_run()
    {
        var session = OpenAddModel();
        session.Dispose();
        session.Dispose();

        var a = SlmTensor<float>.Zeros(1, 3);
        Assert.Throws<ObjectDisposedException>(() => session.Run(AddInputs, new SlmTensor[] { a, a }, AddOutputs));
    }

    [Fact]
    public void A_binding_runs_into_the_callers_output_sees_rewritten_inputs_and_allocates_nothing_per_run()
    {
        using var session = OpenAddModel();
        var a = SlmTensor<float>.Create(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = SlmTensor<float>.Create(new float[] { 10, 20, 30, 40, 50, 60 }, 2, 3);
        var sum = SlmTensor<float>.Zeros(2, 3);
        using var binding = session.Bind(AddInputs, new SlmTensor[] { a, b }, AddOutputs, new SlmTensor[] { sum });

        binding.Run();
        Assert.Equal(new float[] { 11, 22, 33, 44, 55, 66 }, sum.ToArray());
        a.Span.Fill(100);
        binding.Run();
        Assert.Equal(new float[] { 110, 120, 130, 140, 150, 160 }, sum.ToArray());

        for (int i = 0; i < 10; i++) binding.Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) binding.Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_binding_checks_outputs_against_the_model_and_the_inputs_sizes()
    {
        using var session = OpenAddModel();
        var a = SlmTensor<float>.Zeros(2, 3);

        var wrongBatch = Assert.Throws<ArgumentException>(() => session.Bind(AddInputs, new SlmTensor[] { a, a }, AddOutputs, new SlmTensor[] { SlmTensor<float>.Zeros(1, 3) }));
        var wrongType = Assert.Throws<ArgumentException>(() => session.Bind(AddInputs, new SlmTensor[] { a, a }, AddOutputs, new SlmTensor[] { SlmTensor<long>.Zeros(2, 3) }));
        var badInput = Assert.Throws<ArgumentException>(() => session.Bind(AddInputs, new SlmTensor[] { a, SlmTensor<float>.Zeros(2, 4) }, AddOutputs, new SlmTensor[] { a }));

        Assert.StartsWith("Output 'sum' is bound to a float tensor of shape [1, 3], but the model writes sum: float [batch, 3]", wrongBatch.Message);
        Assert.StartsWith("Output 'sum' is bound to a int64 tensor", wrongType.Message);
        Assert.StartsWith("Input 'b' has shape [2, 4]", badInput.Message);
    }

    private SlmSession OpenAddModel(SlmSessionOptions? options = null)
    {
        byte[] model = SingleNode(
            "Add",
            new[] { new Value("a", OnnxType.Float, "batch", 3L), new Value("b", OnnxType.Float, "batch", 3L) },
            new[] { new Value("sum", OnnxType.Float, "batch", 3L) });
        return SlmSession.Open(Save(model, Path.Combine(_directory, "add")), options);
    }

    private void AssertIdentityRoundTrip<T>(int onnxType, SlmElementType type, T[] values) where T : unmanaged
    {
        byte[] model = SingleNode("Identity", new[] { new Value("x", onnxType, "n") }, new[] { new Value("y", onnxType, "n") });
        using var session = SlmSession.Open(Save(model, Path.Combine(_directory, "identity-" + type)));

        SlmTensor[] outputs = session.Run(
            new[] { new SlmTensorSpec("x", type, SlmDimension.Symbolic("n")) },
            new SlmTensor[] { SlmTensor<T>.Create(values, values.Length) },
            new[] { new SlmTensorSpec("y", type, SlmDimension.Symbolic("n")) });

        var y = Assert.IsType<SlmTensor<T>>(Assert.Single(outputs));
        Assert.Equal(values, y.ToArray());
    }
}
