using Microsoft.ML.OnnxRuntime;

namespace SlmOps.Runtime;

/// <summary>How ONNX Runtime optimizes the graph when a session opens.</summary>
public enum SlmGraphOptimizationLevel
{
    /// <summary>No graph optimizations.</summary>
    None,
    /// <summary>Semantics-preserving rewrites such as constant folding.</summary>
    Basic,
    /// <summary>Basic plus operator fusions.</summary>
    Extended,
    /// <summary>Everything, including layout changes for the current hardware (ONNX Runtime's default).</summary>
    All,
}

/// <summary>How ONNX Runtime schedules the operators of one run.</summary>
public enum SlmExecutionMode
{
    /// <summary>One operator after another; parallelism only inside operators. Best for most small models.</summary>
    Sequential,
    /// <summary>Independent branches of the graph run at the same time, on the inter-op thread pool.</summary>
    Parallel,
}

/// <summary>Settings for opening a <see cref="SlmSession"/>. The defaults suit CPU inference of small models.</summary>
public sealed class SlmSessionOptions
{
    /// <summary>Threads used inside one operator; 0 (the default) lets ONNX Runtime choose from the core count.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads used across operators in <see cref="SlmExecutionMode.Parallel"/>; 0 lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>Graph optimizations applied at load time; <see cref="SlmGraphOptimizationLevel.All"/> by default.</summary>
    public SlmGraphOptimizationLevel GraphOptimizationLevel { get; init; } = SlmGraphOptimizationLevel.All;

    /// <summary>Operator scheduling; <see cref="SlmExecutionMode.Sequential"/> by default.</summary>
    public SlmExecutionMode ExecutionMode { get; init; } = SlmExecutionMode.Sequential;

    /// <summary>
    /// Called last with ONNX Runtime's own options, for what these options do not cover (for example appending an
    /// execution provider). The options object is disposed once the session has opened.
    /// </summary>
    public Action<SessionOptions>? ConfigureOnnxRuntime { get; init; }

    internal SessionOptions ToOrt()
    {
        if (IntraOpThreads < 0) throw new ArgumentOutOfRangeException(nameof(IntraOpThreads), IntraOpThreads, "Thread counts cannot be negative.");
        if (InterOpThreads < 0) throw new ArgumentOutOfRangeException(nameof(InterOpThreads), InterOpThreads, "Thread counts cannot be negative.");

        var options = new SessionOptions();
        try
        {
            if (IntraOpThreads > 0) options.IntraOpNumThreads = IntraOpThreads;
            if (InterOpThreads > 0) options.InterOpNumThreads = InterOpThreads;
            options.GraphOptimizationLevel = GraphOptimizationLevel switch
            {
                SlmGraphOptimizationLevel.None => Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL,
                SlmGraphOptimizationLevel.Basic => Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                SlmGraphOptimizationLevel.Extended => Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                SlmGraphOptimizationLevel.All => Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
                _ => throw new ArgumentOutOfRangeException(nameof(GraphOptimizationLevel), GraphOptimizationLevel, null),
            };
            options.ExecutionMode = ExecutionMode switch
            {
                SlmExecutionMode.Sequential => Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_SEQUENTIAL,
                SlmExecutionMode.Parallel => Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_PARALLEL,
                _ => throw new ArgumentOutOfRangeException(nameof(ExecutionMode), ExecutionMode, null),
            };
            ConfigureOnnxRuntime?.Invoke(options);
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
