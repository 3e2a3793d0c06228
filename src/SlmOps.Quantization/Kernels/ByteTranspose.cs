using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SlmOps.Quantization.Kernels;

/// <summary>Byte matrix transposes and copies, for turning row-major quantized tiles into column-major blobs.</summary>
internal static unsafe class ByteTranspose
{
    /// <summary>Whether <see cref="Transpose16"/> can run (SSE2 or Arm64 Advanced SIMD).</summary>
    public static bool IsAccelerated => Sse2.IsSupported || AdvSimd.Arm64.IsSupported;

    /// <summary>
    /// Transposes a 16 x 16 block: byte c of source row j (rows <paramref name="sourceStride"/> apart) becomes byte j
    /// of destination row c (rows <paramref name="destinationStride"/> apart), of which the first
    /// <paramref name="length"/> bytes, 8 or 16, are written. Four rounds of interleaving rows j and j + 8 (a
    /// perfect shuffle) rotate each byte's 8-bit (row, column) index by four bits, which swaps row and column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose16(byte* source, nint sourceStride, byte* destination, nint destinationStride, int length)
    {
        Vector128<byte> r0 = Vector128.Load(source);
        Vector128<byte> r1 = Vector128.Load(source + sourceStride);
        Vector128<byte> r2 = Vector128.Load(source + 2 * sourceStride);
        Vector128<byte> r3 = Vector128.Load(source + 3 * sourceStride);
        Vector128<byte> r4 = Vector128.Load(source + 4 * sourceStride);
        Vector128<byte> r5 = Vector128.Load(source + 5 * sourceStride);
        Vector128<byte> r6 = Vector128.Load(source + 6 * sourceStride);
        Vector128<byte> r7 = Vector128.Load(source + 7 * sourceStride);
        Vector128<byte> r8 = Vector128.Load(source + 8 * sourceStride);
        Vector128<byte> r9 = Vector128.Load(source + 9 * sourceStride);
        Vector128<byte> r10 = Vector128.Load(source + 10 * sourceStride);
        Vector128<byte> r11 = Vector128.Load(source + 11 * sourceStride);
        Vector128<byte> r12 = Vector128.Load(source + 12 * sourceStride);
        Vector128<byte> r13 = Vector128.Load(source + 13 * sourceStride);
        Vector128<byte> r14 = Vector128.Load(source + 14 * sourceStride);
        Vector128<byte> r15 = Vector128.Load(source + 15 * sourceStride);

        Interleave(ref r0, ref r8);
        Interleave(ref r1, ref r9);
        Interleave(ref r2, ref r10);
        Interleave(ref r3, ref r11);
        Interleave(ref r4, ref r12);
        Interleave(ref r5, ref r13);
        Interleave(ref r6, ref r14);
        Interleave(ref r7, ref r15);
        Interleave(ref r0, ref r4);
        Interleave(ref r1, ref r5);
        Interleave(ref r2, ref r6);
        Interleave(ref r3, ref r7);
        Interleave(ref r8, ref r12);
        Interleave(ref r9, ref r13);
        Interleave(ref r10, ref r14);
        Interleave(ref r11, ref r15);
        Interleave(ref r0, ref r2);
        Interleave(ref r1, ref r3);
        Interleave(ref r4, ref r6);
        Interleave(ref r5, ref r7);
        Interleave(ref r8, ref r10);
        Interleave(ref r9, ref r11);
        Interleave(ref r12, ref r14);
        Interleave(ref r13, ref r15);
        Interleave(ref r0, ref r1);
        Interleave(ref r2, ref r3);
        Interleave(ref r4, ref r5);
        Interleave(ref r6, ref r7);
        Interleave(ref r8, ref r9);
        Interleave(ref r10, ref r11);
        Interleave(ref r12, ref r13);
        Interleave(ref r14, ref r15);

        Store(r0, destination, length);
        Store(r1, destination + destinationStride, length);
        Store(r2, destination + 2 * destinationStride, length);
        Store(r3, destination + 3 * destinationStride, length);
        Store(r4, destination + 4 * destinationStride, length);
        Store(r5, destination + 5 * destinationStride, length);
        Store(r6, destination + 6 * destinationStride, length);
        Store(r7, destination + 7 * destinationStride, length);
        Store(r8, destination + 8 * destinationStride, length);
        Store(r9, destination + 9 * destinationStride, length);
        Store(r10, destination + 10 * destinationStride, length);
        Store(r11, destination + 11 * destinationStride, length);
        Store(r12, destination + 12 * destinationStride, length);
        Store(r13, destination + 13 * destinationStride, length);
        Store(r14, destination + 14 * destinationStride, length);
        Store(r15, destination + 15 * destinationStride, length);
    }

    /// <summary>Transposes <paramref name="rows"/> x <paramref name="columns"/> bytes one at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(byte* source, nint sourceStride, int rows, int columns, byte* destination, nint destinationStride)
    {
        for (int c = 0; c < columns; c++)
        {
            byte* column = destination + c * destinationStride;
            for (int j = 0; j < rows; j++)
                column[j] = source[j * sourceStride + c];
        }
    }

    /// <summary>Copies <paramref name="bytes"/> bytes, a multiple of 8, 16 at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(byte* source, byte* destination, int bytes)
    {
        int i = 0;
        for (; i <= bytes - 16; i += 16)
            Vector128.Load(source + i).Store(destination + i);
        if (i < bytes)
            Unsafe.WriteUnaligned(destination + i, Unsafe.ReadUnaligned<ulong>(source + i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(ref Vector128<byte> first, ref Vector128<byte> second)
    {
        Vector128<byte> low, high;
        if (Sse2.IsSupported)
        {
            low = Sse2.UnpackLow(first, second);
            high = Sse2.UnpackHigh(first, second);
        }
        else
        {
            low = AdvSimd.Arm64.ZipLow(first, second);
            high = AdvSimd.Arm64.ZipHigh(first, second);
        }

        first = low;
        second = high;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector128<byte> row, byte* destination, int length)
    {
        if (length == 16)
            row.Store(destination);
        else
            Unsafe.WriteUnaligned(destination, row.AsUInt64().ToScalar());
    }
}
