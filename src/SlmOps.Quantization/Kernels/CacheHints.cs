using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SlmOps.Quantization.Kernels;

/// <summary>Hints to the memory system; they change no result.</summary>
internal static unsafe class CacheHints
{
    /// <summary>
    /// Starts loading the cache line at <paramref name="address"/> into the second-level cache (where the hardware has
    /// a prefetch instruction), so that a later write to it does not stall on fetching the line from memory. Any
    /// address will do: a prefetch never faults.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(void* address)
    {
        if (Sse.IsSupported)
            Sse.Prefetch1(address);
    }
}
