using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SlmOps.Quantization.Kernels;

/// <summary>
/// Block-wise 4- and 8-bit quantization of a MatMul weight <c>B</c> [K, N] (row-major, K the reduction dimension)
/// into the inputs of ONNX Runtime's <c>com.microsoft.MatMulNBits</c>. Each column is cut along K into blocks of
/// <c>blockSize</c> weights, each block with its own scale (and, asymmetric, zero point).
/// </summary>
/// <remarks>
/// <para>Layouts, with <c>kBlocks = </c><see cref="BlockCount"/> and <c>blob = blockSize * bits / 8</c>:</para>
/// <list type="bullet">
/// <item><c>packed</c>: uint8 [N, kBlocks, blob]. With 4 bits, element 2j of a block is the low nibble of byte j and
/// element 2j+1 its high nibble. When K is not a multiple of the block size, the last block's padding holds the
/// zero point (it dequantizes to 0).</item>
/// <item><c>scales</c>: float [N * kBlocks], block b of column n at <c>n * kBlocks + b</c>.</item>
/// <item><c>zeroPoints</c> (asymmetric only): with 8 bits uint8 [N * kBlocks]; with 4 bits, per column a row of
/// ceil(kBlocks / 2) bytes, block 2j in the low nibble and 2j+1 in the high nibble (an unused last nibble is 0).
/// Symmetric blocks use the operator's default zero point, 2^(bits-1).</item>
/// </list>
/// <para>
/// Symmetric quantization follows ONNX Runtime's <c>MatMul4BitsQuantizer</c>: the weight <c>m</c> of largest magnitude
/// (the first one on ties) gives <c>scale = m / -2^(bits-1)</c>, which may be negative, and
/// <c>q = clamp(round(w / scale) + 2^(bits-1), 0, 2^bits - 1)</c>. Asymmetric quantization spans
/// [min(0, min w), max(0, max w)] with <c>2^bits - 1</c> steps and a zero point rounded as ONNX Runtime does.
/// Every path divides by multiplying with the same reciprocal and rounds halves to even, so the vector widths, the
/// scalar code and any degree of parallelism give bit-identical outputs.
/// </para>
/// </remarks>
public static class BlockwiseQuantizer
{
    private const long ParallelThreshold = 1 << 20;
    private const int TileBytes = 16 * 1024;
    private const int MaxStripColumns = 256;

    /// <summary>The number of blocks per column: ceil(<paramref name="k"/> / <paramref name="blockSize"/>).</summary>
    /// <param name="k">The rows of B (the reduction dimension).</param>
    /// <param name="blockSize">The weights per block.</param>
    public static int BlockCount(int k, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        return (int)(((long)k + blockSize - 1) / blockSize);
    }

    /// <summary>The length of the packed weights, <c>N * kBlocks * blockSize * bits / 8</c> bytes.</summary>
    /// <param name="k">The rows of B.</param>
    /// <param name="n">The columns of B.</param>
    /// <param name="bits">4 or 8.</param>
    /// <param name="blockSize">A power of two from 16 to 256.</param>
    public static long PackedByteCount(int k, int n, int bits, int blockSize)
    {
        ValidateFormat(k, n, bits, blockSize);
        return (long)n * BlockCount(k, blockSize) * (blockSize * bits / 8);
    }

    /// <summary>The length of the asymmetric zero points: <c>N * kBlocks</c> bytes for 8 bits, <c>N * ceil(kBlocks / 2)</c> for 4.</summary>
    /// <param name="k">The rows of B.</param>
    /// <param name="n">The columns of B.</param>
    /// <param name="bits">4 or 8.</param>
    /// <param name="blockSize">A power of two from 16 to 256.</param>
    public static long ZeroPointByteCount(int k, int n, int bits, int blockSize)
    {
        ValidateFormat(k, n, bits, blockSize);
        return (long)n * ZeroPointRowBytes(BlockCount(k, blockSize), bits);
    }

    /// <summary>Quantizes <paramref name="weights"/> into the caller's buffers (see the class remarks for the layouts).</summary>
    /// <param name="weights">B [K, N], row-major.</param>
    /// <param name="k">The rows of B (the reduction dimension, along which blocks run).</param>
    /// <param name="n">The columns of B.</param>
    /// <param name="bits">4 or 8.</param>
    /// <param name="blockSize">A power of two from 16 to 256.</param>
    /// <param name="symmetric">Symmetric blocks (no zero points) or asymmetric ones.</param>
    /// <param name="packed"><see cref="PackedByteCount"/> bytes.</param>
    /// <param name="scales">N * kBlocks floats.</param>
    /// <param name="zeroPoints"><see cref="ZeroPointByteCount"/> bytes when asymmetric; empty when symmetric.</param>
    /// <param name="maxDegreeOfParallelism">
    /// The most threads to use: -1 for the default, 1 to stay on the calling thread. Small tensors always stay on it.
    /// </param>
    /// <exception cref="NonFiniteWeightException">A weight is NaN or infinite; the outputs are then unspecified.</exception>
    public static void Quantize(
        ReadOnlySpan<float> weights,
        int k,
        int n,
        int bits,
        int blockSize,
        bool symmetric,
        Span<byte> packed,
        Span<float> scales,
        Span<byte> zeroPoints,
        int maxDegreeOfParallelism = -1) =>
        Quantize(weights, k, n, bits, blockSize, symmetric, packed, scales, zeroPoints, maxDegreeOfParallelism, KernelPath.Auto);

    /// <summary><see cref="Quantize(ReadOnlySpan{float}, int, int, int, int, bool, Span{byte}, Span{float}, Span{byte}, int)"/> on a chosen <paramref name="path"/>.</summary>
    internal static unsafe void Quantize(
        ReadOnlySpan<float> weights,
        int k,
        int n,
        int bits,
        int blockSize,
        bool symmetric,
        Span<byte> packed,
        Span<float> scales,
        Span<byte> zeroPoints,
        int maxDegreeOfParallelism,
        KernelPath path)
    {
        ValidateFormat(k, n, bits, blockSize);
        int kBlocks = BlockCount(k, blockSize);
        RequireLength(weights.Length, (long)k * n, nameof(weights));
        RequireLength(packed.Length, PackedByteCount(k, n, bits, blockSize), nameof(packed));
        RequireLength(scales.Length, (long)n * kBlocks, nameof(scales));
        RequireLength(zeroPoints.Length, symmetric ? 0 : ZeroPointByteCount(k, n, bits, blockSize), nameof(zeroPoints));
        if (maxDegreeOfParallelism is 0 or < -1)
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "Use -1 for the default or a positive thread count.");

        bool nonFinite;
        fixed (float* source = weights)
        fixed (byte* packedBytes = packed)
        fixed (float* scaleValues = scales)
        fixed (byte* zeroPointBytes = zeroPoints)
        {
            var job = new Job(source, k, n, bits, blockSize, symmetric, packedBytes, scaleValues, zeroPointBytes);
            nonFinite = KernelPaths.Resolve(path) switch
            {
                KernelPath.Vector256 => job.Run<Lanes256, Vector256<float>>(maxDegreeOfParallelism),
                KernelPath.Vector128 => job.Run<Lanes128, Vector128<float>>(maxDegreeOfParallelism),
                _ => job.Run<ScalarLanes, float>(maxDegreeOfParallelism),
            };
        }

        if (nonFinite)
            throw NonFiniteWeightException.ForFirstIn(weights);
    }

    /// <summary>
    /// Reconstructs B [K, N] from the quantized form, <c>w = (q - zeroPoint) * scale</c>: the reference inverse of
    /// <see cref="Quantize(ReadOnlySpan{float}, int, int, int, int, bool, Span{byte}, Span{float}, Span{byte}, int)"/>.
    /// </summary>
    /// <param name="packed">uint8 [N, kBlocks, blob].</param>
    /// <param name="scales">float [N * kBlocks].</param>
    /// <param name="zeroPoints">The packed zero points, or empty for symmetric blocks (zero point 2^(bits-1)).</param>
    /// <param name="k">The rows of B.</param>
    /// <param name="n">The columns of B.</param>
    /// <param name="bits">4 or 8.</param>
    /// <param name="blockSize">A power of two from 16 to 256.</param>
    /// <param name="weights">Receives B [K, N], row-major.</param>
    public static void Dequantize(
        ReadOnlySpan<byte> packed, ReadOnlySpan<float> scales, ReadOnlySpan<byte> zeroPoints, int k, int n, int bits, int blockSize, Span<float> weights)
    {
        ValidateFormat(k, n, bits, blockSize);
        int kBlocks = BlockCount(k, blockSize);
        RequireLength(packed.Length, PackedByteCount(k, n, bits, blockSize), nameof(packed));
        RequireLength(scales.Length, (long)n * kBlocks, nameof(scales));
        if (!zeroPoints.IsEmpty)
            RequireLength(zeroPoints.Length, ZeroPointByteCount(k, n, bits, blockSize), nameof(zeroPoints));
        RequireLength(weights.Length, (long)k * n, nameof(weights));

        int blob = blockSize * bits / 8;
        int zeroPointRow = ZeroPointRowBytes(kBlocks, bits);
        for (int column = 0; column < n; column++)
        {
            for (int block = 0; block < kBlocks; block++)
            {
                float scale = scales[column * kBlocks + block];
                int zeroPoint = zeroPoints.IsEmpty ? 1 << (bits - 1)
                    : bits == 8 ? zeroPoints[column * kBlocks + block]
                    : Nibble(zeroPoints[column * zeroPointRow + block / 2], block);
                ReadOnlySpan<byte> codes = packed.Slice((column * kBlocks + block) * blob, blob);
                int first = block * blockSize;
                int rows = Math.Min(blockSize, k - first);
                for (int j = 0; j < rows; j++)
                {
                    int q = bits == 8 ? codes[j] : Nibble(codes[j / 2], j);
                    weights[(first + j) * n + column] = (q - zeroPoint) * scale;
                }
            }
        }
    }

    private static int Nibble(byte value, int index) => (index & 1) == 0 ? value & 0xF : value >> 4;

    private static int ZeroPointRowBytes(int kBlocks, int bits) => bits == 4 ? (kBlocks + 1) / 2 : kBlocks;

    private static void ValidateFormat(int k, int n, int bits, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (bits is not (4 or 8))
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "MatMulNBits weights have 4 or 8 bits.");
        if (blockSize is < 16 or > 256 || !BitOperations.IsPow2(blockSize))
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "The block size is a power of two from 16 to 256.");
    }

    private static void RequireLength(int actual, long expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has {actual} elements; this shape needs {expected}.", name);
    }

    /// <summary>
    /// One quantization, cut into units of two consecutive block rows (so each unit owns whole 4-bit zero point
    /// bytes) that write disjoint parts of the outputs. A unit walks its block rows in strips of columns: it folds
    /// the strip's rows into per-column ranges, derives each column's parameters, quantizes row by row (vectorized
    /// across columns) into a small tile, and transposes the tile into the column-major blobs.
    /// </summary>
    private readonly unsafe struct Job
    {
        private readonly float* _weights;
        private readonly int _k;
        private readonly int _n;
        private readonly int _bits;
        private readonly int _blockSize;
        private readonly bool _symmetric;
        private readonly byte* _packed;
        private readonly float* _scales;
        private readonly byte* _zeroPoints;
        private readonly int _kBlocks;
        private readonly int _blob;
        private readonly int _strip;

        public Job(float* weights, int k, int n, int bits, int blockSize, bool symmetric, byte* packed, float* scales, byte* zeroPoints)
        {
            _weights = weights;
            _k = k;
            _n = n;
            _bits = bits;
            _blockSize = blockSize;
            _symmetric = symmetric;
            _packed = packed;
            _scales = scales;
            _zeroPoints = zeroPoints;
            _kBlocks = BlockCount(k, blockSize);
            _blob = blockSize * bits / 8;
            _strip = Math.Min(n, Math.Min(MaxStripColumns, TileBytes / _blob));
        }

        /// <summary>Runs every unit; returns whether a unit met a non-finite weight (and stopped).</summary>
        public bool Run<TLanes, TVector>(int maxDegreeOfParallelism)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            int units = (_kBlocks + 1) / 2;
            if (maxDegreeOfParallelism == 1 || units == 1 || (long)_k * _n < ParallelThreshold)
            {
                for (int unit = 0; unit < units; unit++)
                {
                    if (RunUnit<TLanes, TVector>(unit))
                        return true;
                }

                return false;
            }

            Job job = this;
            int nonFinite = 0;
            Parallel.For(0, units, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, (unit, state) =>
            {
                if (job.RunUnit<TLanes, TVector>(unit))
                {
                    Volatile.Write(ref nonFinite, 1);
                    state.Stop();
                }
            });
            return nonFinite != 0;
        }

        [SkipLocalsInit]
        private bool RunUnit<TLanes, TVector>(int unit)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            float* columns = stackalloc float[5 * _strip];
            byte* tile = stackalloc byte[_blob * _strip];
            int end = Math.Min(2 * unit + 2, _kBlocks);
            for (int block = 2 * unit; block < end; block++)
            {
                for (int first = 0; first < _n; first += _strip)
                {
                    if (QuantizeStrip<TLanes, TVector>(block, first, Math.Min(_strip, _n - first), columns, tile))
                        return true;
                }
            }

            return false;
        }

        /// <summary>Quantizes block row <paramref name="block"/> of columns [first, first + width); returns whether it met a non-finite weight.</summary>
        private bool QuantizeStrip<TLanes, TVector>(int block, int first, int width, float* columns, byte* tile)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            float* low = columns;
            float* high = columns + _strip;
            float* prescale = columns + 2 * _strip;
            float* reciprocal = columns + 3 * _strip;
            float* zeroPoint = columns + 4 * _strip;

            int firstRow = block * _blockSize;
            int rows = Math.Min(_blockSize, _k - firstRow);
            float* top = _weights + ((nint)firstRow * _n + first);

            new Span<float>(low, width).Clear();
            new Span<float>(high, width).Clear();
            for (int r = 0; r < rows; r++)
            {
                float* row = top + (nint)r * _n;
                bool nonFinite = _symmetric
                    ? RowKernels.AccumulateMaxMagnitude<TLanes, TVector>(row, width, low, high)
                    : RowKernels.AccumulateMinMax<TLanes, TVector>(row, width, low, high);
                if (nonFinite)
                    return true;
            }

            SetParameters(block, first, width, low, high, prescale, reciprocal, zeroPoint);
            FillTile<TLanes, TVector>(top, rows, width, prescale, reciprocal, zeroPoint, tile);

            for (int c = 0; c < width; c++)
            {
                byte* blob = _packed + ((nint)(first + c) * _kBlocks + block) * _blob;
                byte* source = tile + c;
                for (int j = 0; j < _blob; j++)
                    blob[j] = source[(nint)j * width];
            }

            return false;
        }

        /// <summary>
        /// Turns each column's range into its scale, zero point and quantization factors, and writes the scale and
        /// (asymmetric) zero point outputs. Symmetric: <paramref name="low"/> holds the signed weight of largest
        /// magnitude. Asymmetric: <paramref name="low"/> and <paramref name="high"/> hold min(0, min) and max(0, max).
        /// </summary>
        private void SetParameters(int block, int first, int width, float* low, float* high, float* prescale, float* reciprocal, float* zeroPoint)
        {
            float middle = 1 << (_bits - 1);
            float maxLevel = (1 << _bits) - 1;
            for (int c = 0; c < width; c++)
            {
                nint column = first + c;
                float scale;
                if (_symmetric)
                {
                    scale = low[c] / -middle;
                    zeroPoint[c] = middle;
                }
                else
                {
                    scale = QuantParams.AsymmetricScale(low[c], high[c], maxLevel);
                    byte zero = OrtZeroPoint(low[c], scale, maxLevel);
                    zeroPoint[c] = zero;
                    if (_bits == 8)
                        _zeroPoints[column * _kBlocks + block] = zero;
                    else if ((block & 1) == 0)
                        _zeroPoints[column * ((_kBlocks + 1) / 2) + block / 2] = zero;
                    else
                        _zeroPoints[column * ((_kBlocks + 1) / 2) + block / 2] |= (byte)(zero << 4);
                }

                _scales[column * _kBlocks + block] = scale;
                QuantParams.Reciprocal(scale, out prescale[c], out reciprocal[c]);
            }
        }

        /// <summary>Fills the tile: <c>blob</c> rows of <paramref name="width"/> bytes, row j holding byte j of every column's blob.</summary>
        private void FillTile<TLanes, TVector>(float* top, int rows, int width, float* prescale, float* reciprocal, float* zeroPoint, byte* tile)
            where TLanes : struct, ILanes<TVector>
            where TVector : struct
        {
            for (int j = 0; j < _blob; j++)
            {
                byte* destination = tile + (nint)j * width;
                int row = _bits == 8 ? j : 2 * j;
                if (row >= rows)
                {
                    int nibbles = _bits == 8 ? 1 : 17;
                    for (int c = 0; c < width; c++)
                        destination[c] = (byte)((int)zeroPoint[c] * nibbles);
                }
                else if (_bits == 8)
                {
                    RowKernels.Quantize<TLanes, TVector>(top + (nint)row * _n, width, prescale, reciprocal, zeroPoint, 0f, 255f, destination);
                }
                else
                {
                    float* second = row + 1 < rows ? top + (nint)(row + 1) * _n : null;
                    RowKernels.QuantizeNibblePair<TLanes, TVector>(top + (nint)row * _n, second, width, prescale, reciprocal, zeroPoint, 15f, destination);
                }
            }
        }

        /// <summary>The asymmetric zero point as ONNX Runtime computes it: <c>-min / scale</c>, clamped, rounded half away from zero.</summary>
        private static byte OrtZeroPoint(float min, float scale, float maxLevel)
        {
            if (scale == 0f)
                return 0;
            float zero = 0f - min / scale;
            return zero < 0f ? (byte)0 : zero > maxLevel ? (byte)maxLevel : (byte)MathF.Round(zero, MidpointRounding.AwayFromZero);
        }
    }
}
