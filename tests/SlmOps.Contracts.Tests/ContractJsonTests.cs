using System.Text.Json;

namespace SlmOps.Contracts.Tests;

public class ContractJsonTests
{
    private static ModelContract Sample(string name = "MiniLm") => new(
        name,
        "App.Models",
        ModelKinds.Embedding,
        new[]
        {
            new TensorContract("input_ids", ElementTypes.Int64, new[] { Dimension.Symbolic("batch"), Dimension.Symbolic("sequence") }),
            new TensorContract("we\"ird\\name\n\u0001é", ElementTypes.Float16, new[] { Dimension.Fixed(1), Dimension.Unknown, Dimension.Symbolic("d \"x\"") }),
            new TensorContract("scalar", ElementTypes.Float, Array.Empty<Dimension>()),
        },
        new[] { new TensorContract("last_hidden_state", ElementTypes.Float, new[] { Dimension.Symbolic("batch"), Dimension.Fixed(384) }) },
        "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2");

    [Fact]
    public void Write_then_read_gives_an_equal_contract()
    {
        ModelContract contract = Sample();

        ModelContract read = ContractJson.Read(ContractJson.Write(contract));

        Assert.Equal(contract, read);
        Assert.Equal("[batch, sequence]", read.Inputs[0].ShapeText);
        Assert.Equal("[1, ?, d \"x\"]", read.Inputs[1].ShapeText);
    }

    [Fact]
    public void Output_is_canonical_json_that_other_parsers_read()
    {
        string first = ContractJson.Write(Sample());

        Assert.Equal(first, ContractJson.Write(ContractJson.Read(first)));
        Assert.DoesNotContain("\r", first);
        using var doc = JsonDocument.Parse(first);
        Assert.Equal(1, doc.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("we\"ird\\name\n\u0001é", doc.RootElement.GetProperty("inputs")[1].GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("inputs")[1].GetProperty("shape")[1].ValueKind);
    }

    [Fact]
    public void Contracts_differing_in_one_dimension_are_not_equal()
    {
        ModelContract other = new(
            "MiniLm", "App.Models", ModelKinds.Embedding, Sample().Inputs,
            new[] { new TensorContract("last_hidden_state", ElementTypes.Float, new[] { Dimension.Symbolic("batch"), Dimension.Fixed(768) }) },
            Sample().SourceSha256);

        Assert.NotEqual(Sample(), other);
    }

    [Theory]
    [InlineData("", "unexpected end")]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("{\"schemaVersion\": 2}", "schema version 2 is not supported")]
    [InlineData("{\"schemaVersion\": 1, \"name\": 5}", "'name' must be a string")]
    [InlineData("{\"schemaVersion\": 1, \"schemaVersion\": 1}", "duplicate property")]
    [InlineData("{\"schemaVersion\": 1,}", "expected a property name")]
    [InlineData("{\"schemaVersion\": 1} trailing", "after the end")]
    [InlineData("{\"a\": \"\\x\"}", "bad escape")]
    public void Malformed_contracts_fail_with_a_precise_reason(string json, string reason)
    {
        var error = Assert.Throws<FormatException>(() => ContractJson.Read(json));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_dimensions_and_missing_shapes_are_rejected()
    {
        string json = ContractJson.Write(Sample());

        Assert.Throws<FormatException>(() => ContractJson.Read(json.Replace("[\"batch\", 384]", "[true]")));
        Assert.Throws<FormatException>(() => ContractJson.Read(json.Replace("\"shape\": [\"batch\", 384]", "\"shape\": 1")));
    }

    [Fact]
    public void Deep_nesting_is_rejected_instead_of_overflowing_the_stack()
    {
        string json = "{\"schemaVersion\": 1, \"x\": " + new string('[', 100_000) + new string(']', 100_000) + "}";

        var error = Assert.Throws<FormatException>(() => ContractJson.Read(json));

        Assert.Contains("nesting is too deep", error.Message, StringComparison.Ordinal);
    }
}
