using System.Buffers;
using Microsoft.ML.OnnxRuntime;

namespace SlmOps.Runtime;

/// <summary>
/// The zero-copy path for hot loops: input and output tensors bound once to a session (their memory pinned and
/// handed to ONNX Runtime through an <see cref="OrtIoBinding"/>), then <see cref="Run"/> as often as needed. Write the
/// next inputs into the input tensors' memory, call <see cref="Run"/>, read the outputs from the output tensors: no
/// copy, and no managed allocation per call. Made by <see cref="SlmSession.Bind"/> (or a generated wrapper's
/// <c>Bind</c>) for fixed shapes; make another for other shapes.
/// </summary>
/// <remarks>
/// One binding is for one thread at a time (its tensors are shared state); several bindings of one session may run
/// at once. Dispose it to unpin the tensors, before the session.
/// </remarks>
public sealed class SlmBinding : IDisposable
{
    private readonly SlmSession _owner;
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue[] _values;
    private readonly MemoryHandle[] _pins;
    private bool _disposed;

    internal SlmBinding(SlmSession owner, InferenceSession session, ReadOnlySpan<SlmTensorSpec> inputSpecs, ReadOnlySpan<SlmTensor> inputs, ReadOnlySpan<SlmTensorSpec> outputSpecs, ReadOnlySpan<SlmTensor> outputs)
    {
        _owner = owner;
        _session = session;
        _values = new OrtValue[inputs.Length + outputs.Length];
        _pins = new MemoryHandle[_values.Length];
        _binding = session.CreateIoBinding();
        int created = 0;
        try
        {
            for (int i = 0; i < inputs.Length; i++, created++)
            {
                _values[created] = inputs[i].CreateOrtValue(out _pins[created]);
                _binding.BindInput(inputSpecs[i].Name, _values[created]);
            }

            for (int i = 0; i < outputs.Length; i++, created++)
            {
                _values[created] = outputs[i].CreateOrtValue(out _pins[created]);
                _binding.BindOutput(outputSpecs[i].Name, _values[created]);
            }
        }
        catch
        {
            Release(created);
            throw;
        }

        Inputs = inputs.ToArray();
        Outputs = outputs.ToArray();
    }

    /// <summary>The bound input tensors, in the order given: write the next inputs into their memory.</summary>
    public IReadOnlyList<SlmTensor> Inputs { get; }

    /// <summary>The bound output tensors, in the order given: <see cref="Run"/> writes into their memory.</summary>
    public IReadOnlyList<SlmTensor> Outputs { get; }

    /// <summary>Runs the model on the bound inputs, into the bound outputs.</summary>
    /// <exception cref="ObjectDisposedException">The binding or its session is disposed.</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed.</exception>
    public void Run()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _owner.ThrowIfDisposed();
        try
        {
            _session.RunWithBinding(_runOptions, _binding);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidOperationException($"Running the model '{_owner.ModelPath}' failed: {ex.Message}", ex);
        }
    }

    /// <summary>Unbinds and unpins the tensors.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _binding.Dispose();
        _runOptions.Dispose();
        Release(_values.Length);
    }

    private void Release(int count)
    {
        for (int i = 0; i < count; i++)
        {
            _values[i]?.Dispose();
            _pins[i].Dispose();
        }
    }
}
