namespace SlmOps.Validation.Tests;

public class ValidationGatesTests
{
    [Theory]
    [InlineData("embedding", 0.99, null, null)]
    [InlineData("causal-lm", null, null, 0.9)] // and MaxPerplexityIncrease 0.02
    [InlineData("generic", null, 0.1, null)]
    public void Auto_holds_each_kind_to_int8_weight_accuracy_in_the_one_metric_that_fits_it(string kind, double? cosine, double? relative, double? top1)
    {
        var gates = ValidationGates.DefaultsFor("auto", kind);

        Assert.Equal((cosine, relative, top1), (gates.MinCosine, gates.MaxRelativeError, gates.MinTop1Agreement));
        Assert.Equal(kind == "causal-lm" ? 0.02 : null, gates.MaxPerplexityIncrease);
        var int8Weight = ValidationGates.DefaultsFor("int8-weight");
        Assert.Equal(int8Weight.MinCosine, cosine ?? int8Weight.MinCosine);
    }

    [Fact]
    public void A_fixed_precision_checks_every_gate_whatever_the_kind()
    {
        Assert.Equal(ValidationGates.DefaultsFor("int4"), ValidationGates.DefaultsFor("int4", "embedding"));
        Assert.Equal(new ValidationGates { MinCosine = 0.95, MaxRelativeError = 0.35, MinTop1Agreement = 0.8, MaxPerplexityIncrease = 0.1 }, ValidationGates.DefaultsFor("int4", "causal-lm"));
    }

    [Fact]
    public void Metadata_turns_a_gate_on_or_off_over_the_defaults()
    {
        var gates = ValidationGates.DefaultsFor("auto", "embedding").With([KeyValuePair.Create("MaxRelativeError", "40%"), KeyValuePair.Create("mincosine", "none")]);

        Assert.Equal(new ValidationGates { MaxRelativeError = 0.4 }, gates);
    }
}
