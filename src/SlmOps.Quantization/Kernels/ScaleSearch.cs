using System.Runtime.CompilerServices;

namespace SlmOps.Quantization.Kernels;

/// <summary>
/// Refines block-wise scales: for each candidate step (the round-to-nearest step times a fixed factor), the block's
/// weights are quantized with it, the scale is refitted by least squares to those levels, and the candidate whose
/// refitted reconstruction has the smallest squared error wins (a later candidate only when it is better by more than
/// float rounding, so ties go to the first). The first candidate is plain round-to-nearest, so the block's error is
/// never above that of round-to-nearest with its scale refitted.
/// </summary>
/// <remarks>
/// <para>
/// With <c>u = w / scale</c> the weights in units of the round-to-nearest step and <c>d = q - zeroPoint</c> a
/// candidate's centred levels, the best scale for those levels is <c>scale * Σud / Σd²</c>, with squared error
/// <c>scale² (Σu² - (Σud)² / Σd²)</c>. The search computes both from the candidate's rounding residuals (see
/// <c>Columns</c>), in steps, which keeps every sum well inside the float range whatever the weights'
/// magnitude (subnormal or near float.MaxValue). The zero point stays where round-to-nearest put it: 2^(bits-1) when
/// symmetric, the rounded position of zero otherwise.
/// </para>
/// <para>
/// The sums run over the block's rows in order, one column per lane, with the same operations on every path (fused
/// multiply-adds included), so the vector widths and the scalar code give bit-identical results. The levels are
/// computed exactly as the quantizing pass then computes them, <c>clamp(round(w * prescale * reciprocal) +
/// zeroPoint)</c>, with the winning candidate's reciprocal.
/// </para>
/// </remarks>
internal static unsafe class ScaleSearch
{
    /// <summary>
    /// Reciprocals above this are lifted by the prescale (see <see cref="QuantParams.Reciprocal"/>) when searching,
    /// so that a reciprocal times a candidate factor (at most 2) stays finite.
    /// </summary>
    public const float ReciprocalLimit = float.MaxValue / 4;

    /// <summary>
    /// How much smaller a later candidate's error must be to replace the best so far, relative to its residuals'
    /// Σe² (an upper bound of the error, of which the fitted error is a difference): well above the rounding of the
    /// float sums, so that candidates with the same levels keep the first one, and far below any gain worth having.
    /// </summary>
    private const float Margin = 1f / 4096;

    /// <summary>
    /// The 4-bit candidates: round-to-nearest's step, and 0.92 times it, which clips the block's extremes to resolve
    /// the bulk of its weights more finely. One pair keeps the search to a single pass over the block. Searched /
    /// round-to-nearest squared error on Gaussian blocks, symmetric block 32 / asymmetric block 32 / symmetric block
    /// 128: 0.953 / 0.956 / 0.883, against 0.950 / 0.943 / 0.867 for the steps 1, 1.05, 0.95, 0.9, 0.85 and 0.8
    /// (three passes, 2.3x the time of round-to-nearest instead of 1.5x). Of the single extra steps tried, 0.95 did
    /// as well at block 32 and worse at 128, 0.9 and below worse at 32, 1.05 worse everywhere. On MiniLM the embedding
    /// cosines are within noise of the six steps' (docs/quantization.md).
    /// </summary>
    private static readonly float[] FourBit = Candidates(1f, 0.92f);

    /// <summary>
    /// The 8-bit candidates: round-to-nearest's step and 1.02 times it. With 255 levels clipping gains little; the
    /// nearby step mostly finds a luckier rounding. It takes 6% off the squared error of Gaussian blocks of 32, as
    /// much as the steps 1.02, 0.98 and 0.96 together did.
    /// </summary>
    private static readonly float[] EightBit = Candidates(1f, 1.02f);

    /// <summary>
    /// For each step factor, in order, the triple (<c>g = 1 / step</c>, <c>1 / g</c>, <c>1 / g²</c>); an even number
    /// of them, since the search runs two at a time.
    /// </summary>
    private static float[] Candidates(params float[] steps)
    {
        if (steps.Length % 2 != 0)
            throw new ArgumentException("The search takes the candidates in pairs.", nameof(steps));
        var triples = new float[3 * steps.Length];
        for (int i = 0; i < steps.Length; i++)
        {
            float factor = 1f / steps[i];
            triples[3 * i] = factor;
            triples[3 * i + 1] = 1f / factor;
            triples[3 * i + 2] = 1f / (factor * factor);
        }

        return triples;
    }

    /// <summary>
    /// Refines one block's parameters over <paramref name="width"/> columns. <paramref name="parameters"/> is the
    /// prescale row, followed <paramref name="stride"/> floats apart by the reciprocal row (replaced with the winning
    /// candidate's) and the zero point row; <paramref name="scales"/> holds the round-to-nearest scales (replaced
    /// with the refitted ones).
    /// </summary>
    /// <param name="top">The block's first weight in its first column.</param>
    /// <param name="rowStride">The distance between rows of weights, in floats.</param>
    /// <param name="rows">The block's rows (fewer than the block size for a last, partial block).</param>
    /// <param name="width">The columns.</param>
    /// <param name="bits">4 or 8.</param>
    /// <param name="prescaled">Whether any column's prescale is not 1 (otherwise the multiplications by it are skipped).</param>
    /// <param name="parameters">The prescale row (see above).</param>
    /// <param name="stride">The distance between the parameter rows, in floats.</param>
    /// <param name="scales">The scales.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TLanes, TVector>(float* top, int rowStride, int rows, int width, int bits, bool prescaled, float* parameters, int stride, float* scales)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        if (prescaled)
            Run<TLanes, TVector, RowKernels.Prescaled>(top, rowStride, rows, width, bits, parameters, stride, scales);
        else
            Run<TLanes, TVector, RowKernels.Unscaled>(top, rowStride, rows, width, bits, parameters, stride, scales);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TLanes, TVector, TScaling>(float* top, int rowStride, int rows, int width, int bits, float* parameters, int stride, float* scales)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where TScaling : struct, RowKernels.IScaling
    {
        float[] triples = bits == 4 ? FourBit : EightBit;
        float levels = (1 << bits) - 1;
        fixed (float* candidates = triples)
        {
            int count = triples.Length / 3;
            int c = 0;
            for (; c <= width - TLanes.Count; c += TLanes.Count)
                Columns<TLanes, TVector, TScaling>(top + c, rowStride, rows, candidates, count, levels, parameters + c, stride, scales + c);
            for (; c < width; c++)
                Columns<ScalarLanes, float, TScaling>(top + c, rowStride, rows, candidates, count, levels, parameters + c, stride, scales + c);
        }
    }

    /// <summary>
    /// The search for one vector of columns. A candidate with factor <c>g</c> quantizes
    /// <c>v = w * prescale * (reciprocal * g)</c>, the weights in its own steps, exactly as the quantizing pass will
    /// with its reciprocal, into <c>d = clamp(round(v))</c> (centred), and sums the residuals <c>e = v - d</c>: with
    /// <c>v = g u</c>, the refitted error is <c>(Σe² - (Σed)² / Σd²) / g²</c> and the refitted scale
    /// <c>(1 + Σed / Σd²) / g</c> round-to-nearest steps. Sums of residuals, not of <c>u</c>, so that the error
    /// carries no cancellation against the block's energy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns<TLanes, TVector, TScaling>(
        float* top, int rowStride, int rows, float* candidates, int candidateCount, float levels, float* parameters, int stride, float* scales)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
        where TScaling : struct, RowKernels.IScaling
    {
        TVector zero = TLanes.Create(0f);
        TVector one = TLanes.Create(1f);
        TVector prescale = TLanes.Load(parameters);
        TVector reciprocal = TLanes.Load(parameters + stride);
        TVector zeroPoint = TLanes.Load(parameters + 2 * stride);

        // The centred levels' range. d = clamp(round(v), -zeroPoint, levels - zeroPoint) equals the quantizing pass's
        // clamp(round(v) + zeroPoint, 0, levels) - zeroPoint: all the values are small integers. (A round(v) of -0
        // may come back as either zero; d then only enters sums as a product with a zero, which changes nothing.)
        TVector lowest = TLanes.Subtract(zero, zeroPoint);
        TVector highest = TLanes.Subtract(TLanes.Create(levels), zeroPoint);
        TVector bestError = TLanes.Create(float.MaxValue);
        TVector bestFactor = one;
        TVector bestFit = one;

        // Two candidates per pass over the rows: they share the loads, and their sums are independent chains.
        for (int candidate = 0; candidate < candidateCount; candidate += 2)
        {
            float* first = candidates + 3 * candidate;
            float* second = first + 3;
            TVector firstReciprocal = TLanes.Multiply(reciprocal, TLanes.Create(first[0]));
            TVector secondReciprocal = TLanes.Multiply(reciprocal, TLanes.Create(second[0]));
            Sums<TVector> a = new(zero), b = new(zero);
            float* row = top;
            for (int r = 0; r < rows; r++, row += rowStride)
            {
                TVector value = TLanes.Load(row);
                if (TScaling.IsPrescaled)
                    value = TLanes.Multiply(value, prescale);
                a.Add<TLanes>(TLanes.Multiply(value, firstReciprocal), lowest, highest);
                b.Add<TLanes>(TLanes.Multiply(value, secondReciprocal), lowest, highest);
            }

            Keep<TLanes, TVector>(first, a, ref bestError, ref bestFactor, ref bestFit);
            Keep<TLanes, TVector>(second, b, ref bestError, ref bestFactor, ref bestFit);
        }

        TLanes.Store(parameters + stride, TLanes.Multiply(reciprocal, bestFactor));
        TLanes.Store(scales, TLanes.Multiply(TLanes.Load(scales), bestFit));
    }

    /// <summary>
    /// Keeps the candidate <paramref name="candidate"/> (its triple) with sums <paramref name="sums"/> where its
    /// refitted error is below the best so far by more than <see cref="Margin"/> of its Σe². Σd² = 0 (every level at
    /// the zero point, as in an all-zero block) leaves nothing to fit: the error is Σe² and the step stays.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Keep<TLanes, TVector>(float* candidate, in Sums<TVector> sums, ref TVector bestError, ref TVector bestFactor, ref TVector bestFit)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TVector zero = TLanes.Create(0f);
        TVector squareSteps = TLanes.Create(candidate[2]);
        TVector residuals = TLanes.Multiply(sums.Residuals, squareSteps);
        TVector fitted = TLanes.Subtract(sums.Residuals, TLanes.Divide(TLanes.Multiply(sums.Products, sums.Products), sums.Squares));
        TVector error = TLanes.IfGreater(sums.Squares, zero, TLanes.Multiply(fitted, squareSteps), residuals);
        TVector fit = TLanes.Multiply(TLanes.Add(TLanes.Create(1f), TLanes.Divide(sums.Products, sums.Squares)), TLanes.Create(candidate[1]));
        fit = TLanes.IfGreater(sums.Squares, zero, fit, TLanes.Create(1f));
        TVector bar = TLanes.Add(error, TLanes.Multiply(residuals, TLanes.Create(Margin)));
        bestFactor = TLanes.IfGreater(bestError, bar, TLanes.Create(candidate[0]), bestFactor);
        bestFit = TLanes.IfGreater(bestError, bar, fit, bestFit);
        bestError = TLanes.IfGreater(bestError, bar, error, bestError);
    }

    /// <summary>One candidate's running sums over a block's rows: Σd², Σed and Σe².</summary>
    private struct Sums<TVector>(TVector zero)
        where TVector : struct
    {
        public TVector Squares = zero;
        public TVector Products = zero;
        public TVector Residuals = zero;

        /// <summary>Adds a row's <c>v</c>: its level <c>d = clamp(round(v), lowest, highest)</c> and residual <c>e = v - d</c>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add<TLanes>(TVector steps, TVector lowest, TVector highest)
            where TLanes : struct, ILanes<TVector>
        {
            TVector level = TLanes.Clamp(TLanes.Round(steps), lowest, highest);
            TVector residual = TLanes.Subtract(steps, level);
            Squares = TLanes.MultiplyAdd(level, level, Squares);
            Products = TLanes.MultiplyAdd(residual, level, Products);
            Residuals = TLanes.MultiplyAdd(residual, residual, Residuals);
        }
    }
}
