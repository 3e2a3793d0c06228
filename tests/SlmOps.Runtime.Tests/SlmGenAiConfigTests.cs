using SlmOps.Testing;

namespace SlmOps.Runtime.Tests;

public sealed class SlmGenAiConfigTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Folder(string json)
    {
        string folder = _temp.Combine(Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, SlmGenAiConfig.FileName), json);
        return folder;
    }

    [Fact]
    public void The_end_of_sequence_tokens_pad_token_and_context_length_are_read_as_GenAI_writes_them()
    {
        var list = SlmGenAiConfig.TryRead(Folder("""{ "model": { "bos_token_id": 1, "eos_token_id": [32000, 32007], "pad_token_id": 32000, "context_length": 4096, "type": "phi3" }, "search": { "max_length": 4096 } }"""));
        var single = SlmGenAiConfig.TryRead(Folder("""{ "model": { "eos_token_id": 2 } }"""));

        Assert.Equal([32000, 32007], list!.EndOfSequenceTokenIds);
        Assert.Equal((32000, 4096), (list.PadTokenId, list.ContextLength));
        Assert.Equal([2], single!.EndOfSequenceTokenIds);
        Assert.Equal((null, null), (single.PadTokenId, single.ContextLength));
        Assert.Null(SlmGenAiConfig.TryRead(_temp.Combine("none")));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{ "search": {} }""")]
    [InlineData("""{ "model": { "eos_token_id": "two" } }""")]
    [InlineData("""{ "model": { "context_length": 0 } }""")]
    public void A_file_that_is_not_a_GenAI_configuration_is_InvalidDataException_naming_it(string json)
    {
        string folder = Folder(json);

        var ex = Assert.Throws<InvalidDataException>(() => SlmGenAiConfig.TryRead(folder));

        Assert.Contains(Path.Combine(folder, SlmGenAiConfig.FileName), ex.Message);
    }

    [Fact]
    public void The_models_context_length_bounds_a_generation_whose_options_give_none()
    {
        var shape = new DecoderOptions(Layers: 1);
        string path = OnnxModelFactory.Write(_temp.Combine("decoder"), "model.onnx", DecoderFactory.Create(shape));
        using var session = SlmSession.Open(path);
        var (inputs, outputs) = SlmCausalLmTests.Specs(shape);
        var model = new SlmCausalLm(session, inputs, outputs, contextLength: 7);

        Assert.Equal(3, model.Generate([1, 2, 3, 4], new SlmGenerationOptions { MaxNewTokens = 10 }).Count());
        Assert.Equal(6, model.Generate([1, 2, 3, 4], new SlmGenerationOptions { MaxNewTokens = 10, ContextLength = 10 }).Count());
        Assert.Throws<ArgumentException>(() => model.Generate([1, 2, 3, 4, 5, 6, 7]));
    }
}
