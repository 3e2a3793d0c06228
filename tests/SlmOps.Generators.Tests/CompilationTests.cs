using Microsoft.CodeAnalysis;
using SlmOps.Contracts;

namespace SlmOps.Generators.Tests;

public class CompilationTests
{
    [Fact]
    public void Every_generated_wrapper_compiles_without_errors_or_warnings()
    {
        var files = Contracts.All.Select(c => GeneratorHarness.Contract(c)).ToArray();
        var (result, output) = GeneratorHarness.Run(files);

        Assert.Empty(result.Diagnostics);
        Assert.Equal(Contracts.All.Count(), result.GeneratedSources.Length);
        AssertClean(output);
    }

    [Fact]
    public void Callers_use_typed_inputs_outputs_and_the_graph_order_overload()
    {
        const string caller = """
            using SlmOps.Runtime;
            using App.Models;

            /// <summary>Uses the generated API as an application would.</summary>
            public static class Caller
            {
                /// <summary>Embeds one sequence.</summary>
                public static float FirstValue(long[] ids)
                {
                    using MiniLm model = MiniLm.Load(new SlmSessionOptions { IntraOpThreads = 1 });
                    var shape = new long[] { 1, ids.Length };
                    MiniLm.Output output = model.Run(new MiniLm.Input
                    {
                        InputIds = SlmTensor<long>.Create(ids, shape),
                        AttentionMask = SlmTensor<long>.Create(new long[ids.Length], shape),
                        TokenTypeIds = SlmTensor<long>.Create(new long[ids.Length], shape),
                    });
                    SlmTensor<float> hidden = output.LastHiddenState;
                    MiniLm.Output again = model.Run(hidden.Shape[0] > 0 ? SlmTensor<long>.Zeros(1, 1) : null!, SlmTensor<long>.Zeros(1, 1), SlmTensor<long>.Zeros(1, 1));
                    // token_type_ids left out: zeros shaped like input_ids.
                    MiniLm.Output single = model.Run(SlmTensor<long>.Create(ids, shape), SlmTensor<long>.Zeros(shape));
                    return hidden[0, 0, 0] + again.LastHiddenState[0, 0, 0] + single.LastHiddenState[0, 0, 0] + MiniLm.ModelName.Length;
                }

                /// <summary>Names that had to be changed.</summary>
                public static object Renamed(Tricky t) => t.Run(new Tricky.Input
                {
                    PastKeyValues0Key = null!, _0 = null!, Class = null!, Run2 = null!, Input2 = null!, Input3 = null!,
                    Tricky2 = null!, ToString2 = null!, ABC = null!,
                }).Logits2;

                /// <summary>Half tensors and scalars.</summary>
                public static System.Half Scores(App.Models.Vision.ImageScorer m) =>
                    m.Run(SlmTensor<System.Half>.Zeros(1, 3, 224, 224), SlmTensor<float>.Create(new[] { 0.5f }), SlmTensor<bool>.Zeros(2, 8)).Scores[0, 0];
            }
            """;
        var files = Contracts.All.Select(c => GeneratorHarness.Contract(c)).ToArray();
        GeneratorHarness.CreateDriver(files).RunGeneratorsAndUpdateCompilation(GeneratorHarness.CreateCompilation(caller), out Compilation output, out _);

        AssertClean(output);
    }

    internal static void AssertClean(Compilation compilation)
    {
        var problems = compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
