using System.Runtime.CompilerServices;

namespace SlmOps.Quantization.Kernels;

/// <summary>
/// One <see cref="BlockwiseQuantizer"/> run over pinned buffers, cut into units that write disjoint parts of the
/// outputs: a group of up to 16 consecutive block rows (so that each column's scales for the group fill a 64-byte
/// cache line) over a strip of columns narrow enough that a strip of a block row stays in cache between its two
/// passes. For each block of the group, the strip's rows are folded into per-column minima and maxima, turned into
/// per-column parameters (refined by <see cref="ScaleSearch"/> unless it is off), and quantized row by row into a tile of bytes whose row j holds byte j of every column's
/// levels; every few blocks (a cache line of levels per column) the tile is transposed, 16 x 16 bytes at a time,
/// into the column-major blobs, and at the end of the group the block-major scales and zero points are transposed
/// into theirs. Every output line is thus written whole, once.
/// </summary>
internal readonly unsafe struct BlockwiseJob
{
    /// <summary>Tensors of at least this many weights are split across threads.</summary>
    private const long ParallelElements = 1 << 20;

    /// <summary>The blocks per unit: 16 float scales are a cache line.</summary>
    private const int GroupBlocks = 16;

    /// <summary>The bytes of weights per strip of a block row: re-read from cache by the second pass.</summary>
    private const int StripBytes = 64 * 1024;

    /// <summary>How many columns ahead the output lines are prefetched.</summary>
    private const int PrefetchColumns = 32;

    /// <summary>The padding after each scratch row, so that rows a power of two apart do not share cache sets.</summary>
    private const int RowPadding = 64;

    private readonly float* _weights;
    private readonly int _k;
    private readonly int _n;
    private readonly int _bits;
    private readonly int _blockSize;
    private readonly bool _symmetric;
    private readonly byte* _packed;
    private readonly float* _scales;
    private readonly byte* _zeroPoints;
    private readonly bool _transposeVectors;
    private readonly bool _scaleSearch;
    private readonly int _kBlocks;
    private readonly int _zeroPointRow;
    private readonly int _blob;
    private readonly int _tileBlocks;
    private readonly int _width;

    /// <summary>Describes a run; the pointers must stay pinned while it runs.</summary>
    public BlockwiseJob(
        float* weights,
        int k,
        int n,
        BlockwiseFormat format,
        byte* packed,
        float* scales,
        byte* zeroPoints,
        bool transposeVectors,
        bool scaleSearch)
    {
        _weights = weights;
        _k = k;
        _n = n;
        _bits = format.Bits;
        _blockSize = format.BlockSize;
        _symmetric = format.Symmetric;
        _packed = packed;
        _scales = scales;
        _zeroPoints = zeroPoints;
        _transposeVectors = transposeVectors;
        _scaleSearch = scaleSearch;
        _kBlocks = format.BlockCount(k);
        _zeroPointRow = format.ZeroPointRowBytes(_kBlocks);
        _blob = _blockSize * _bits / 8;
        _tileBlocks = Math.Max(1, 64 / _blob);
        _width = Math.Min(n, Math.Max(64, StripBytes / (_blockSize * sizeof(float))));
    }

    /// <summary>The distance between the per-column scratch rows, in floats.</summary>
    private int ColumnStride => _width + RowPadding / sizeof(float);

    /// <summary>The distance between tile rows, in bytes.</summary>
    private int TileStride => _width + RowPadding;

    /// <summary>Runs every unit; returns whether a unit met a non-finite weight (and stopped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Run<TLanes, TVector>(int maxDegreeOfParallelism)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        int strips = (_n + _width - 1) / _width;
        int units = (_kBlocks + GroupBlocks - 1) / GroupBlocks * strips;
        if (maxDegreeOfParallelism == 1 || units == 1 || (long)_k * _n < ParallelElements)
        {
            var scratch = NewScratch();
            for (int unit = 0; unit < units; unit++)
            {
                if (RunUnit<TLanes, TVector>(unit / strips, unit % strips, scratch))
                    return true;
            }

            return false;
        }

        BlockwiseJob job = this;
        int nonFinite = 0;
        Parallel.For(
            0,
            units,
            new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism },
            job.NewScratch,
            (unit, state, scratch) =>
            {
                if (job.RunUnit<TLanes, TVector>(unit / strips, unit % strips, scratch))
                {
                    Volatile.Write(ref nonFinite, 1);
                    state.Stop();
                }

                return scratch;
            },
            _ => { });
        return nonFinite != 0;
    }

    private BlockwiseScratch NewScratch() =>
        new((5 + GroupBlocks) * ColumnStride, (_tileBlocks * _blob + GroupBlocks) * TileStride, 16 * _tileBlocks * _blob);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool RunUnit<TLanes, TVector>(int group, int strip, BlockwiseScratch scratch)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        int firstBlock = group * GroupBlocks;
        int blocks = Math.Min(GroupBlocks, _kBlocks - firstBlock);
        int first = strip * _width;
        int width = Math.Min(_width, _n - first);
        fixed (float* columns = scratch.Columns)
        fixed (byte* tile = scratch.Tile)
        fixed (byte* staging = scratch.Staging)
        {
            float* blockScales = columns + 5 * ColumnStride;
            byte* blockZeroPoints = tile + (nint)_tileBlocks * _blob * TileStride;

            for (int b = 0; b < blocks; b++)
            {
                int block = firstBlock + b;
                int slot = b % _tileBlocks;
                float* top = Top(block, first);
                if (FoldRanges<TLanes, TVector>(top, Rows(block), width, columns))
                    return true;

                bool prescaled = SetParameters<TLanes, TVector>(top, Rows(block), width, columns, blockScales + (nint)b * ColumnStride, blockZeroPoints + (nint)b * TileStride);
                if (_scaleSearch)
                    ScaleSearch.Run<TLanes, TVector>(top, _n, Rows(block), width, _bits, prescaled, columns + 2 * ColumnStride, ColumnStride, blockScales + (nint)b * ColumnStride);
                FillTile<TLanes, TVector>(top, Rows(block), width, columns, prescaled, tile + (nint)slot * _blob * TileStride);
                if (slot == _tileBlocks - 1 || b == blocks - 1)
                    WriteBlobs(block - slot, slot + 1, first, width, tile, staging);
            }

            WriteParameters(firstBlock, blocks, first, width, blockScales, blockZeroPoints);
        }

        return false;
    }

    /// <summary>The first weight of block row <paramref name="block"/> in column <paramref name="first"/>.</summary>
    private float* Top(int block, int first) => _weights + ((nint)block * _blockSize * _n + first);

    /// <summary>The rows of block row <paramref name="block"/>: the block size, or fewer for the last one.</summary>
    private int Rows(int block) => Math.Min(_blockSize, _k - block * _blockSize);

    /// <summary>
    /// Folds the block's rows, four at a time, into fresh per-column minima and maxima (including zero) in the
    /// first two scratch rows; returns whether it met a non-finite weight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool FoldRanges<TLanes, TVector>(float* top, int rows, int width, float* columns)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        float* low = columns;
        float* high = columns + ColumnStride;
        new Span<float>(low, width).Clear();
        new Span<float>(high, width).Clear();
        for (int r = 0; r < rows; r += 4)
        {
            if (RowKernels.AccumulateMinMax<TLanes, TVector>(Row(top, r, rows), Row(top, r + 1, rows), Row(top, r + 2, rows), Row(top, r + 3, rows), width, low, high))
                return true;
        }

        return false;
    }

    /// <summary>Row <paramref name="r"/> of the block, or its last row when <paramref name="r"/> is past it (folding a row twice changes nothing).</summary>
    private float* Row(float* top, int r, int rows) => top + (nint)Math.Min(r, rows - 1) * _n;

    /// <summary>
    /// Replaces each column's maximum with its peak, the weight of largest magnitude with its sign: the maximum
    /// or the minimum. Returns whether a column has a nonzero maximum and minimum of equal magnitude, for which
    /// <see cref="BreakTies"/> must pick the one that comes first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool FindPeaks<TLanes, TVector>(int count, float* low, float* high)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TVector zero = TLanes.Create(0f);
        TVector one = TLanes.Create(1f);
        TVector ties = zero;
        int i = 0;
        for (; i <= count - TLanes.Count; i += TLanes.Count)
        {
            TVector min = TLanes.Load(low + i);
            TVector max = TLanes.Load(high + i);
            TVector magnitude = TLanes.Subtract(zero, min);
            TLanes.Store(high + i, TLanes.IfGreater(magnitude, max, min, TLanes.Add(max, zero)));
            TVector tie = TLanes.IfGreater(magnitude, max, zero, TLanes.IfGreater(max, magnitude, zero, TLanes.IfGreater(max, zero, one, zero)));
            ties = TLanes.Add(ties, tie);
        }

        bool tied = TLanes.AnyBitSet(ties);
        if (i < count)
            tied |= FindPeaks<ScalarLanes, float>(count - i, low + i, high + i);
        return tied;
    }

    /// <summary>Sets the peak of each tied column to whichever of its minimum and maximum comes first in the block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BreakTies(float* top, int rows, int width, float* low, float* high)
    {
        for (int c = 0; c < width; c++)
        {
            if (-low[c] != high[c] || high[c] == 0f)
                continue;
            for (int r = 0; r < rows; r++)
            {
                float value = top[(nint)r * _n + c];
                if (MathF.Abs(value) == high[c])
                {
                    high[c] = value;
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Turns the block's folded ranges (in the first two scratch rows) into its parameters: the scales and zero
    /// points for the outputs, and the factors <see cref="FillTile"/> quantizes with (the next three rows). Returns
    /// whether any column needs its prescale.
    /// </summary>
    private bool SetParameters<TLanes, TVector>(float* top, int rows, int width, float* columns, float* scales, byte* zeroPoints)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        float* low = columns;
        float* high = columns + ColumnStride;
        if (_symmetric && FindPeaks<TLanes, TVector>(width, low, high))
            BreakTies(top, rows, width, low, high);
        return ComputeParameters<TLanes, TVector>(
            width, low, high, scales, columns + 2 * ColumnStride, columns + 3 * ColumnStride, columns + 4 * ColumnStride, _symmetric ? null : zeroPoints);
    }

    /// <summary>
    /// Computes each column's scale (into <paramref name="scales"/>), zero point (into
    /// <paramref name="zeroPoint"/>, and as a byte into <paramref name="zeroPointBytes"/> when asymmetric) and
    /// quantization factors (see <see cref="QuantParams.Reciprocal"/>). Symmetric: <paramref name="high"/> holds
    /// the peak, and <c>scale = peak / -2^(bits-1)</c> (a multiplication by the exact reciprocal, the same value).
    /// Asymmetric: [<paramref name="low"/>, <paramref name="high"/>] is the range including zero, and the zero
    /// point is <c>-min / scale</c> clamped and rounded half away from zero, as ONNX Runtime computes it. Returns
    /// whether any column needs its prescale.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool ComputeParameters<TLanes, TVector>(
        int count, float* low, float* high, float* scales, float* prescale, float* reciprocal, float* zeroPoint, byte* zeroPointBytes)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TVector zero = TLanes.Create(0f);
        TVector one = TLanes.Create(1f);
        TVector half = TLanes.Create(0.5f);
        TVector largest = TLanes.Create(float.MaxValue);
        TVector liftAbove = TLanes.Create(_scaleSearch ? ScaleSearch.ReciprocalLimit : float.MaxValue);
        TVector lift = TLanes.Create(QuantParams.SubnormalPrescale);
        TVector middle = TLanes.Create(1 << (_bits - 1));
        TVector inverseMiddle = TLanes.Create(-1f / (1 << (_bits - 1)));
        TVector levels = TLanes.Create((1 << _bits) - 1);
        TVector lifted = zero;
        int i = 0;
        for (; i <= count - TLanes.Count; i += TLanes.Count)
        {
            TVector scale, zeroLevel;
            if (_symmetric)
            {
                scale = TLanes.Multiply(TLanes.Load(high + i), inverseMiddle);
                zeroLevel = middle;
            }
            else
            {
                TVector min = TLanes.Add(TLanes.Load(low + i), zero);
                TVector max = TLanes.Add(TLanes.Load(high + i), zero);
                TVector range = TLanes.Subtract(max, min);
                scale = TLanes.IfGreater(
                    TLanes.Abs(range), largest, TLanes.Subtract(TLanes.Divide(max, levels), TLanes.Divide(min, levels)), TLanes.Divide(range, levels));
                TVector exact = TLanes.Subtract(zero, TLanes.Divide(min, scale));
                TVector floor = TLanes.Floor(exact);
                TVector rounded = TLanes.IfGreater(half, TLanes.Subtract(exact, floor), floor, TLanes.Add(floor, one));
                zeroLevel = TLanes.IfGreater(zero, exact, zero, TLanes.IfGreater(exact, levels, levels, rounded));
                zeroLevel = TLanes.IfGreater(TLanes.Abs(scale), zero, zeroLevel, zero);
                TLanes.StoreBytes(zeroPointBytes + i, zeroLevel);
            }

            TVector inverse = TLanes.Divide(one, scale);
            TVector overflows = TLanes.Abs(inverse);
            TVector pre = TLanes.IfGreater(overflows, liftAbove, lift, one);
            TVector rec = TLanes.IfGreater(overflows, liftAbove, TLanes.Divide(one, TLanes.Multiply(scale, lift)), inverse);
            pre = TLanes.IfGreater(TLanes.Abs(scale), zero, pre, one);
            lifted = TLanes.Add(lifted, TLanes.Subtract(pre, one));
            TLanes.Store(scales + i, scale);
            TLanes.Store(prescale + i, pre);
            TLanes.Store(reciprocal + i, TLanes.IfGreater(TLanes.Abs(scale), zero, rec, zero));
            TLanes.Store(zeroPoint + i, zeroLevel);
        }

        bool prescaled = TLanes.AnyBitSet(lifted);
        if (i < count)
        {
            prescaled |= ComputeParameters<ScalarLanes, float>(
                count - i, low + i, high + i, scales + i, prescale + i, reciprocal + i, zeroPoint + i, zeroPointBytes == null ? null : zeroPointBytes + i);
        }

        return prescaled;
    }

    /// <summary>
    /// Fills a block's blob rows of the tile, row j holding byte j of every column's blob, with the factors in
    /// scratch rows 2 to 4.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FillTile<TLanes, TVector>(float* top, int rows, int width, float* columns, bool prescaled, byte* tile)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        float* prescale = prescaled ? columns + 2 * ColumnStride : null;
        float* reciprocal = columns + 3 * ColumnStride;
        float* zeroPoint = columns + 4 * ColumnStride;
        for (int j = 0; j < _blob; j++)
        {
            byte* destination = tile + (nint)j * TileStride;
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

    /// <summary>
    /// Transposes the tile into the blobs of <paramref name="blocks"/> consecutive blocks from
    /// <paramref name="firstBlock"/>, columns [first, first + width), through <paramref name="staging"/> so that
    /// each column's part (a cache line or more) is written in one go.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteBlobs(int firstBlock, int blocks, int first, int width, byte* tile, byte* staging)
    {
        int bytes = blocks * _blob;
        nint columnStride = (nint)_kBlocks * _blob;
        byte* destination = _packed + ((nint)first * _kBlocks + firstBlock) * _blob;
        int c = 0;
        if (_transposeVectors)
        {
            for (; c <= width - 16; c += 16)
            {
                for (int column = c + PrefetchColumns; column < Math.Min(c + PrefetchColumns + 16, width); column++)
                {
                    for (int line = 0; line < bytes; line += 64)
                        CacheHints.Prefetch(destination + column * columnStride + line);
                }

                for (int band = 0; band < bytes; band += 16)
                    ByteTranspose.Transpose16(tile + (nint)band * TileStride + c, TileStride, staging + band, bytes, Math.Min(16, bytes - band));
                for (int column = 0; column < 16; column++)
                    ByteTranspose.Copy(staging + column * bytes, destination + (c + column) * columnStride, bytes);
            }
        }

        if (c < width)
            ByteTranspose.Transpose(tile + c, TileStride, bytes, width - c, destination + c * columnStride, columnStride);
    }

    /// <summary>
    /// Transposes a group's block-major scales (and zero points) into the column-major outputs: per column, the
    /// group's scales are a cache line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteParameters(int firstBlock, int blocks, int first, int width, float* blockScales, byte* blockZeroPoints)
    {
        int zeroPointRow = _zeroPointRow;
        for (int c = 0; c < width; c++)
        {
            nint column = first + c;
            float* scales = _scales + column * _kBlocks + firstBlock;
            CacheHints.Prefetch(scales + PrefetchColumns * _kBlocks);
            for (int b = 0; b < blocks; b++)
                scales[b] = blockScales[(nint)b * ColumnStride + c];
            if (_symmetric)
                continue;

            byte* zeroPoints = _zeroPoints + column * zeroPointRow + (_bits == 8 ? firstBlock : firstBlock / 2);
            CacheHints.Prefetch(zeroPoints + PrefetchColumns * zeroPointRow);
            if (_bits == 8)
            {
                for (int b = 0; b < blocks; b++)
                    zeroPoints[b] = blockZeroPoints[(nint)b * TileStride + c];
            }
            else
            {
                for (int b = 0; b < blocks; b += 2)
                {
                    int second = b + 1 < blocks ? blockZeroPoints[(nint)(b + 1) * TileStride + c] : 0;
                    zeroPoints[b / 2] = (byte)(blockZeroPoints[(nint)b * TileStride + c] | second << 4);
                }
            }
        }
    }
}
