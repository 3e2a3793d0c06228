using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;
using SlmOps.Onnx.Protobuf;
using SlmOps.Testing;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Validation.Tests;

public sealed class SampleSynthesizerTests : IDisposable
{
    private readonly TempDirectory _dir = new("slmops-samples");

    public void Dispose() => _dir.Dispose();

    /// <summary>A model that passes each input through Identity, so any element type loads and runs.</summary>
    private string IdentityModel(params ValueInfoProto[] inputs)
    {
        var graph = new GraphProto { Name = "identity" };
        foreach (ValueInfoProto input in inputs)
        {
            graph.Input.Add(input);
            var output = input.Clone();
            output.Name = input.Name + "_out";
            graph.Output.Add(output);
            graph.Node.Add(OnnxModelFactory.Node("Identity", input.Name, [input.Name], [output.Name]));
        }

        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return OnnxModelFactory.Write(_dir.FullPath, "identity.onnx", model);
    }

    private static IReadOnlyList<TensorSample> Synthesize(string path, IReadOnlyDictionary<string, long>? bounds = null)
    {
        using ModelRunner runner = ModelRunner.Open(path);
        IReadOnlyList<TensorSample> sample = SampleSynthesizer.Synthesize(runner.Inputs, bounds ?? new Dictionary<string, long>(), new SynthesisOptions(), path);
        runner.Run(sample); // every synthesized sample must run
        return sample;
    }

    [Fact]
    public void Symbolic_dimensions_are_sized_by_name_and_agree_across_inputs()
    {
        string path = IdentityModel(
            OnnxModelFactory.TensorValue("input_ids", DataType.Int64, "batch_size", "sequence"),
            OnnxModelFactory.TensorValue("attention_mask", DataType.Int64, "batch_size", "sequence"),
            OnnxModelFactory.TensorValue("position_ids", DataType.Int64, "batch_size", "sequence"),
            OnnxModelFactory.TensorValue("pixels", DataType.Float, 3, "height", new object()));

        IReadOnlyList<TensorSample> sample = Synthesize(path, new Dictionary<string, long> { ["input_ids"] = 30522 });

        Assert.All(sample.Take(3), s => Assert.Equal([2L, 16L], s.Shape));
        Assert.Equal([3L, 16L, 1L], sample[3].Shape);
        long[] mask = (long[])sample[1].Values;
        Assert.Equal(Enumerable.Repeat(1L, 16), mask[..16]);
        Assert.Equal(Enumerable.Repeat(1L, 12).Concat(Enumerable.Repeat(0L, 4)), mask[16..]); // the second row is padded
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (long)i), ((long[])sample[2].Values)[16..]);
        long[] ids = (long[])sample[0].Values;
        Assert.All(ids, id => Assert.InRange(id, 0, 30521));
        Assert.True(ids.Distinct().Count() > 20, "ids spread over the vocabulary");
    }

    [Fact]
    public void Every_common_element_type_gets_values_of_its_type_and_the_same_seed_gives_the_same_sample()
    {
        string path = IdentityModel(
            OnnxModelFactory.TensorValue("f", DataType.Float, "batch", 4),
            OnnxModelFactory.TensorValue("h", DataType.Float16, "batch", 4),
            OnnxModelFactory.TensorValue("d", DataType.Double, 4),
            OnnxModelFactory.TensorValue("i32", DataType.Int32, 4),
            OnnxModelFactory.TensorValue("u8", DataType.Uint8, 4),
            OnnxModelFactory.TensorValue("b", DataType.Bool, 4));

        IReadOnlyList<TensorSample> sample = Synthesize(path);

        Assert.Equal(
            [TensorElementType.Float, TensorElementType.Float16, TensorElementType.Double, TensorElementType.Int32, TensorElementType.UInt8, TensorElementType.Bool],
            sample.Select(s => s.ElementType));
        Assert.IsType<Microsoft.ML.OnnxRuntime.Float16[]>(sample[1].Values);
        Assert.All((float[])sample[0].Values, v => Assert.InRange(v, -1f, 1f));
        Assert.All((int[])sample[3].Values, v => Assert.InRange(v, 0, 1)); // no table it indexes: 0 or 1
        Assert.Equal((float[])sample[0].Values, (float[])Synthesize(path)[0].Values);
    }

    [Fact]
    public void A_string_input_is_SLM4005_naming_the_input_and_what_to_do()
    {
        string path = IdentityModel(OnnxModelFactory.TensorValue("text", DataType.String, 1));
        using ModelRunner runner = ModelRunner.Open(path);

        var ex = Assert.Throws<ValidationException>(() => SampleSynthesizer.Synthesize(runner.Inputs, new Dictionary<string, long>(), new SynthesisOptions(), path));

        Assert.Equal("SLM4005", ex.Code);
        Assert.Equal(path, ex.FilePath);
        Assert.Contains("The input 'text' is a string tensor", ex.Message);
        Assert.Contains("SampleData", ex.Message);
    }

    [Fact]
    public void Index_bounds_come_from_the_tables_the_inputs_gather_from()
    {
        var graph = new GraphProto();
        graph.Input.Add(OnnxModelFactory.TensorValue("input_ids", DataType.Int64, "batch", "sequence"));
        graph.Input.Add(OnnxModelFactory.TensorValue("token_type_ids", DataType.Int64, "batch", "sequence"));
        graph.Input.Add(OnnxModelFactory.TensorValue("other", DataType.Int64, 2));
        var words = new TensorProto { Name = "words", DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(new byte[100 * 4 * 4]) };
        words.Dims.Add([100, 4]);
        var types = new TensorProto { Name = "types", DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(new byte[2 * 4 * 4]) };
        types.Dims.Add([2, 4]);
        graph.Initializer.Add([words, types]);
        graph.Node.Add(OnnxModelFactory.Node("Gather", "g1", ["words", "input_ids"], ["e1"]));
        graph.Node.Add(OnnxModelFactory.Node("Gather", "g2", ["types", "token_type_ids"], ["e2"]));
        var byColumn = OnnxModelFactory.Node("Gather", "g3", ["words", "other"], ["e3"]);
        byColumn.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(byColumn);

        IReadOnlyDictionary<string, long> bounds = IndexBounds.Of(graph);

        Assert.Equal(new Dictionary<string, long> { ["input_ids"] = 100, ["token_type_ids"] = 2 }, bounds);
    }
}
