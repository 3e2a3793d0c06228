using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace SlmOps.Testing;

/// <summary>
/// What this machine's CPU does to int8 models in ONNX Runtime. On x64 without VNNI, ONNX Runtime multiplies uint8
/// activations with int8 weights through AVX2 <c>vpmaddubsw</c>, whose 16-bit pairwise sums saturate; accuracy tests
/// of u8·s8 models measure less there than on VNNI machines (the product's x64 defaults avoid it for int8 dynamic).
/// </summary>
public static class Int8Cpu
{
    public static bool SaturatesSignedWeights { get; } = Detect();

    /// <summary>The tolerance for a u8·s8 model: <paramref name="withVnni"/> where the CPU has VNNI, else the looser measured bound.</summary>
    public static double Tolerance(double withVnni, double saturating) => SaturatesSignedWeights ? saturating : withVnni;

    private static bool Detect()
    {
        if (RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.X86)) return false;
        if (AvxVnni.IsSupported) return false;
        try
        {
            return !(File.Exists("/proc/cpuinfo") && File.ReadAllText("/proc/cpuinfo").Contains("avx512_vnni", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return true;
        }
    }
}
