using System.Diagnostics;
using Google.Protobuf;
using SlmOps.Onnx.Protobuf;
using static SlmOps.Onnx.Protobuf.TensorProto.Types;

namespace SlmOps.Testing;

/// <summary>
/// Crafted models that once got past the loader, the worker or the SDK (issue 13), each written by code into a folder
/// so the loader, CLI and build tests share one definition. Every one of them must end in the coded error that
/// <see cref="ExpectedCode"/> names.
/// </summary>
public static class HostileModels
{
    /// <summary>The kinds with the code each must give; <c>null</c> means the model is fine and must be handled.</summary>
    public static IReadOnlyDictionary<string, string?> ExpectedCode { get; } = new Dictionary<string, string?>
    {
        ["hard-link-outside"] = "SLM2004",      // b.bin is a second name of a file outside the folder
        ["symlink-loop"] = "SLM2004",           // b.bin -> loop.bin -> b.bin
        ["symlink-inside"] = "SLM2004",         // b.bin -> b.real, in the folder: still a link
        ["fifo"] = "SLM2004",                   // b.bin is a FIFO (of an empty tensor): opening it used to block forever
        ["huge-dims-no-data"] = "SLM2003",      // W is [2^31, 2^31] with no payload
        ["huge-dims-with-data"] = "SLM2003",    // W is [2^31, 2^31] with its 48 bytes
        ["overflowing-dims-external"] = "SLM2003", // W's dims overflow int64, external without a length
        ["short-payload"] = "SLM2003",          // W's raw_data is 4 bytes short of its shape
        ["long-payload"] = "SLM2003",           // W's raw_data is 4 bytes longer than its shape
        ["short-external-length"] = "SLM2005",  // W's external length is 4 bytes short of its shape
        ["zero-size-weight"] = null,            // W is [0, 32]: nothing to quantize, nothing wrong
    };

    /// <summary>Writes the model of <paramref name="kind"/> as <c>model.onnx</c> in <paramref name="directory"/>; returns its path.</summary>
    public static string Write(string kind, string directory, string fileName = "model.onnx")
    {
        Directory.CreateDirectory(directory);
        switch (kind)
        {
            case "hard-link-outside":
            {
                string path = OnnxModelFactory.WriteWithExternalData(directory, fileName);
                string secret = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(directory))!, $"secret-{Guid.NewGuid():N}.bin");
                File.WriteAllBytes(secret, [.. new byte[16], .. "TOP-SECRET-BYTES"u8]);
                ReplaceWith(Path.Combine(directory, "b.bin"), link => Run("ln", secret, link));
                return path;
            }
            case "symlink-loop":
            {
                string path = OnnxModelFactory.WriteWithExternalData(directory, fileName);
                ReplaceWith(Path.Combine(directory, "b.bin"), link => File.CreateSymbolicLink(link, "loop.bin"));
                File.CreateSymbolicLink(Path.Combine(directory, "loop.bin"), "b.bin");
                return path;
            }
            case "symlink-inside":
            {
                string path = OnnxModelFactory.WriteWithExternalData(directory, fileName);
                File.Move(Path.Combine(directory, "b.bin"), Path.Combine(directory, "b.real"));
                File.CreateSymbolicLink(Path.Combine(directory, "b.bin"), "b.real");
                return path;
            }
            case "fifo":
            {
                // B is empty, so its length (0) passes every size check and only the file's kind can stop the read.
                string path = OnnxModelFactory.WriteWithExternalData(directory, fileName, m =>
                    OnnxModelFactory.MakeExternal(SetDims(m.Graph.Initializer.Single(t => t.Name == "B"), 0), "b.bin", 0, 0));
                ReplaceWith(Path.Combine(directory, "b.bin"), fifo => Run("mkfifo", fifo));
                return path;
            }
            case "huge-dims-no-data":
                return WriteLinear(directory, fileName, w => SetDims(w, 1L << 31, 1L << 31).ClearRawData());
            case "huge-dims-with-data":
                return WriteLinear(directory, fileName, w => SetDims(w, 1L << 31, 1L << 31));
            case "overflowing-dims-external":
                return OnnxModelFactory.WriteWithExternalData(directory, fileName, m =>
                {
                    var w = m.Graph.Initializer.Single(t => t.Name == "W");
                    OnnxModelFactory.MakeExternal(w, "weights/w.bin", 0, null);
                    SetDims(w, 1L << 62, 1L << 62);
                });
            case "short-payload":
                return WriteLinear(directory, fileName, w => w.RawData = ByteString.CopyFrom(w.RawData.Span[..^4]));
            case "long-payload":
                return WriteLinear(directory, fileName, w => w.RawData = ByteString.CopyFrom([.. w.RawData.Span, 0, 0, 0, 0]));
            case "short-external-length":
                return OnnxModelFactory.WriteWithExternalData(directory, fileName, m =>
                    OnnxModelFactory.MakeExternal(m.Graph.Initializer.Single(t => t.Name == "W"), "weights/w.bin", 0, 44));
            case "zero-size-weight":
                return OnnxModelFactory.Write(directory, fileName, ZeroSizeWeightModel());
            default:
                throw new ArgumentException($"Unknown hostile model '{kind}'.", nameof(kind));
        }
    }

    /// <summary><c>y = x · W</c> with <c>x: float[batch, 0]</c> and an empty <c>W: float[0, 32]</c>.</summary>
    private static ModelProto ZeroSizeWeightModel()
    {
        var model = OnnxModelFactory.CreateLinear();
        var graph = model.Graph;
        graph.Initializer.Clear();
        graph.Node.Clear();
        graph.Input.Clear();
        graph.Output.Clear();
        graph.Input.Add(OnnxModelFactory.TensorValue("x", DataType.Float, "batch", 0));
        graph.Output.Add(OnnxModelFactory.TensorValue("y", DataType.Float, "batch", 32));
        var w = new TensorProto { Name = "W", DataType = (int)DataType.Float, RawData = ByteString.Empty };
        w.Dims.Add([0, 32]);
        graph.Initializer.Add(w);
        graph.Node.Add(OnnxModelFactory.Node("MatMul", "matmul", ["x", "W"], ["y"]));
        return model;
    }

    private static string WriteLinear(string directory, string fileName, Action<TensorProto> mutateW)
    {
        var model = OnnxModelFactory.CreateLinear();
        mutateW(model.Graph.Initializer.Single(t => t.Name == "W"));
        return OnnxModelFactory.Write(directory, fileName, model);
    }

    private static TensorProto SetDims(TensorProto tensor, params long[] dims)
    {
        tensor.Dims.Clear();
        tensor.Dims.Add(dims);
        return tensor;
    }

    private static void ReplaceWith(string path, Action<string> create)
    {
        File.Delete(path);
        create(path);
    }

    /// <summary>Runs a coreutils command (ln, mkfifo): .NET has no API for hard links or FIFOs.</summary>
    public static void Run(string command, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardError = true })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed: {error}");
    }
}
