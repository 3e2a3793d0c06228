using Google.Protobuf;
using SlmOps.Contracts;
using SlmOps.Testing;

namespace SlmOps.Onnx.Tests;

/// <summary>The real all-MiniLM-L6-v2 (90.9 MB), loaded once for the class.</summary>
public sealed class MiniLmFixture
{
    public MiniLmFixture()
    {
        Model = OnnxModelLoader.Load(MiniLm.ModelPath);
        Inspection = Model.Inspect();
    }

    public OnnxModel Model { get; }

    public ModelInspection Inspection { get; }
}

public sealed class MiniLmTests(MiniLmFixture fixture) : IClassFixture<MiniLmFixture>
{
    [Fact]
    public void MiniLm_round_trips_byte_identical()
    {
        var original = File.ReadAllBytes(MiniLm.ModelPath);

        Assert.Equal(MiniLm.ModelLength, original.Length);
        Assert.True(original.AsSpan().SequenceEqual(fixture.Model.Proto.ToByteArray()));
    }

    [Fact]
    public void MiniLm_is_IR_7_opset_13_embedding()
    {
        var inspection = fixture.Inspection;

        Assert.Equal(7, inspection.IrVersion);
        Assert.Contains(new OpsetImport("ai.onnx", 13), inspection.Opsets);
        Assert.Equal("embedding", inspection.DetectedKind);
        Assert.Empty(inspection.ExternalDataFiles);
        Assert.Equal(MiniLm.ModelLength, inspection.FileLength);
    }

    [Fact]
    public void MiniLm_inputs_are_int64_batch_by_sequence()
    {
        var batchBySequence = new[] { Dimension.Symbolic("batch"), Dimension.Symbolic("sequence") };

        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], fixture.Inspection.Inputs.Select(i => i.Name));
        Assert.All(fixture.Inspection.Inputs, i =>
        {
            Assert.Equal("int64", i.ElementType);
            Assert.Equal(batchBySequence, i.Shape!);
        });
    }

    [Fact]
    public void MiniLm_outputs_are_float_last_hidden_state_and_pooler()
    {
        // The exported file declares the hidden size of last_hidden_state symbolically; only the pooler output
        // ("924", from the Tanh) carries the fixed 384.
        Assert.Collection(fixture.Inspection.Outputs,
            o => Assert.Equal(("last_hidden_state", "float", "[batch, sequence, Addlast_hidden_state_dim_2]"), (o.Name, o.ElementType, o.ShapeText)),
            o => Assert.Equal(("924", "float", "[Tanh924_dim_0, 384]"), (o.Name, o.ElementType, o.ShapeText)));
    }

    [Fact]
    public void MiniLm_initializers_and_operators_add_up()
    {
        var inspection = fixture.Inspection;

        Assert.True(inspection.InitializerBytes > 80_000_000 && inspection.InitializerBytes < MiniLm.ModelLength);
        Assert.Equal(inspection.InitializerBytes, inspection.InitializersByType.Sum(t => t.Bytes));
        Assert.Equal(inspection.InitializerCount, inspection.InitializersByType.Sum(t => t.Count));
        Assert.Contains(inspection.Operators, o => o.Key == "ai.onnx:MatMul" && o.Count >= 36);
        Assert.Equal(inspection.NodeCount, fixture.Model.Proto.Graph.Node.Count);
    }

    [Fact]
    public void MiniLm_sha256_matches_a_streamed_hash()
    {
        using var stream = File.OpenRead(MiniLm.ModelPath);

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream)), fixture.Model.Sha256);
    }

    [Fact]
    public void MiniLm_resources_extract_without_loading_the_package_assembly()
    {
        var lines = File.ReadLines(MiniLm.VocabPath).Take(30_000).ToList();

        Assert.Contains("[CLS]", lines);
        Assert.Contains("[SEP]", lines);
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == MiniLm.PackageId);
    }
}
