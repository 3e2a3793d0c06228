using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;
using SlmOps.Onnx.Protobuf;
using SlmOps.Testing;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Validation.Tests;

public sealed class SampleDataTests : IDisposable
{
    private readonly TempDirectory _dir = new("slmops-sample-data");

    public void Dispose() => _dir.Dispose();

    private static TensorProto FloatTensor(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(OnnxModelFactory.FloatBytes(values));
        return tensor;
    }

    private static void Write(string path, TensorProto tensor)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, tensor.ToByteArray());
    }

    private IReadOnlyList<IReadOnlyList<TensorSample>> Load(string path, string? model = null, string? tokenizer = null)
    {
        model ??= OnnxModelFactory.Write(_dir.FullPath, "linear.onnx");
        using ModelRunner runner = ModelRunner.Open(model);
        return SampleData.Load(path, runner.Inputs, tokenizer, model);
    }

    [Fact]
    public void A_folder_of_input_files_is_one_sample_matched_by_name()
    {
        Write(_dir.Combine("samples", "input_0.pb"), FloatTensor("x", [1, 2, 3, 4, 5, 6, 7, 8], 2, 4));

        var sample = Assert.Single(Load(_dir.Combine("samples")));

        var x = Assert.Single(sample);
        Assert.Equal(("x", TensorElementType.Float), (x.Name, x.ElementType));
        Assert.Equal([2L, 4L], x.Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, (float[])x.Values);
    }

    [Fact]
    public void Test_data_sets_are_one_sample_each_in_numeric_order_and_an_unnamed_tensor_is_the_input_of_its_number()
    {
        foreach (int i in new[] { 10, 2, 1 })
        {
            var tensor = new TensorProto { DataType = (int)DataType.Float };
            tensor.Dims.AddRange([1, 4]);
            tensor.FloatData.AddRange([i, i, i, i]);
            Write(_dir.Combine("sets", $"test_data_set_{i}", "input_0.pb"), tensor);
        }

        var samples = Load(_dir.Combine("sets"));

        Assert.Equal([1f, 2f, 10f], samples.Select(s => ((float[])s[0].Values)[0]));
        Assert.Equal(3, SampleData.Files(_dir.Combine("sets"), null, _dir.Combine("linear.onnx")).Count);
    }

    public static TheoryData<string, TensorProto, string> BadTensors => new()
    {
        { "type", new TensorProto { Name = "x", DataType = (int)DataType.Int64, Dims = { 1, 4 }, Int64Data = { 1, 2, 3, 4 } }, "The tensor 'x' is Int64; the model's input is Float." },
        { "shape", FloatTensor("x", [1, 2, 3], 1, 3), "The tensor 'x' has the shape [1, 3]; the model's input is [batch, 4]." },
        { "name", FloatTensor("y", [1, 2, 3, 4], 1, 4), "The tensor 'y' is not an input of the model, whose inputs are (x)." },
        { "length", new TensorProto { Name = "x", DataType = (int)DataType.Float, Dims = { 1, 4 }, RawData = ByteString.CopyFrom(new byte[3]) }, "The tensor's raw_data has 3 bytes; its shape needs 16." },
        { "nan", FloatTensor("x", [1, float.NaN, 3, 4], 1, 4), "The tensor holds NaN or infinity; samples must be finite." },
    };

    [Theory]
    [MemberData(nameof(BadTensors))]
    public void A_tensor_that_does_not_fit_the_model_is_SLM4007_naming_the_file(string what, TensorProto tensor, string message)
    {
        string file = _dir.Combine(what, "input_0.pb");
        Write(file, tensor);

        var ex = Assert.Throws<ValidationException>(() => Load(_dir.Combine(what)));

        Assert.Equal(("SLM4007", file, message), (ex.Code, ex.FilePath, ex.Message));
    }

    [Fact]
    public void A_file_that_is_not_a_tensor_and_a_folder_without_samples_are_SLM4007()
    {
        string garbage = _dir.Combine("garbage", "input_0.pb");
        Directory.CreateDirectory(_dir.Combine("garbage"));
        File.WriteAllBytes(garbage, [0x42, 0x0a, 0x61, 0x62]); // name: 10 bytes announced, 2 given
        Directory.CreateDirectory(_dir.Combine("empty"));

        Assert.StartsWith("The file is not a serialized ONNX TensorProto", Assert.Throws<ValidationException>(() => Load(_dir.Combine("garbage"))).Message);
        Assert.StartsWith("The folder holds no sample", Assert.Throws<ValidationException>(() => Load(_dir.Combine("empty"))).Message);
        Assert.StartsWith("The sample data does not exist", Assert.Throws<ValidationException>(() => Load(_dir.Combine("nowhere.txt"))).Message);
    }

    [Fact]
    public void Texts_are_for_models_with_input_ids()
    {
        File.WriteAllLines(_dir.Combine("texts.txt"), ["hello"]);

        var ex = Assert.Throws<ValidationException>(() => Load(_dir.Combine("texts.txt")));

        Assert.Equal("SLM4007", ex.Code);
        Assert.StartsWith("Text samples are for models with an input_ids input; this model's inputs are (x).", ex.Message);
    }

    [Fact]
    public void Texts_run_in_padded_batches_of_eight_with_the_mask_zero_on_the_padding()
    {
        string texts = _dir.Combine("texts.txt");
        File.WriteAllLines(texts, ["# a comment", "", .. AccuracyTexts.All.Take(9)]);

        var samples = Load(texts, MiniLm.ModelPath, MiniLm.VocabPath);
        Assert.Equal([texts, Path.Combine(Path.GetDirectoryName(MiniLm.ModelPath)!, "vocab.txt")], SampleData.Files(texts, null, MiniLm.ModelPath));

        Assert.Equal(2, samples.Count);
        var first = samples[0].ToDictionary(s => s.Name);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], samples[0].Select(s => s.Name));
        Assert.Equal(8, first["input_ids"].Shape[0]);
        long[] ids = (long[])first["input_ids"].Values, mask = (long[])first["attention_mask"].Values;
        long columns = first["input_ids"].Shape[1];
        Assert.Equal(101, ids[0]);                               // [CLS]
        Assert.Equal([101, 7929, 102], ids.Take(3));             // "OK"
        Assert.Equal([1, 1, 1, 0], mask.Take(4));
        Assert.Equal(0, ids[columns - 1]);
        Assert.Single(samples[1][0].Shape.Take(1), 1L);
    }

    [Fact]
    public void Texts_without_a_vocabulary_say_where_it_was_looked_for()
    {
        string texts = _dir.Combine("texts.txt");
        File.WriteAllLines(texts, ["hello"]);

        var ex = Assert.Throws<ValidationException>(() => Load(texts, MiniLm.ModelPath, _dir.Combine("vocab.txt")));

        Assert.Contains($"'{_dir.Combine("vocab.txt")}' does not exist. Put vocab.txt (WordPiece) or vocab.json with merges.txt (byte-level BPE) beside the model, or give its path (Tokenizer metadata, --tokenizer).", ex.Message);
    }
}
