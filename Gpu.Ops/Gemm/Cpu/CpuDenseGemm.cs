using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gpu.Ops.Gemm.Cpu;

/// <summary>Which SIMD width the CPU GEMM paths use.</summary>
internal enum CpuVectorWidth
{
    /// <summary>The widest the processor has.</summary>
    Auto,
    /// <summary>AVX2 + FMA3, 8 lanes.</summary>
    Avx2,
    /// <summary>AVX-512F, 16 lanes.</summary>
    Avx512,
}

/// <summary>The operands of one dense product as raw host pointers, with the epilogue.</summary>
internal unsafe struct DenseOperands
{
    public GemmShape Shape;
    public float* A, B, C, Bias;
    public float Alpha, Beta;
    public ActivationKind Kind;
    public float Slope;

    /// <summary>The final C element from a complete dot product (the scalar epilogue).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Finish(float product, float previous, int column)
    {
        float value = Alpha * product;
        if (Beta != 0f)
            value += Beta * previous;
        if (Bias != null)
            value += Bias[column];
        return Activation.Apply(Kind, Slope, value);
    }

    /// <summary>op(A)[row, step].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float AAt(int row, int step) => Shape.TransposeA ? A[(long)step * Shape.M + row] : A[(long)row * Shape.K + step];

    /// <summary>op(B)[step, column].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float BAt(int step, int column) => Shape.TransposeB ? B[(long)column * Shape.K + step] : B[(long)step * Shape.N + column];
}

/// <summary>The CPU dense GEMM: packed panels, a register-blocked FMA micro-kernel (6 rows × 2
/// vectors: 6×16 on AVX2, 6×32 on AVX-512), cache blocking over K (KC), M (MC) and N (NC), and
/// both cores through Parallel.For. Products with few rows (a linear layer at a small batch) skip
/// the packing, which would cost more than the product, and stream B once.</summary>
internal static unsafe class CpuDenseGemm
{
    /// <summary>Rows of the register block.</summary>
    private const int MR = 6;

    /// <summary>Most rows of op(A) packed and kept in L2 per task.</summary>
    private const int MC = 120;

    /// <summary>Columns of op(B) packed per block (shared by all tasks, in L3).</summary>
    private const int NC = 4096;

    /// <summary>At most this many rows use the unpacked path.</summary>
    private const int FewRows = 4;

    /// <summary>With B stored N×K, products whose op(A) holds at most this many floats (256 KB, so it
    /// stays in L2 while B streams past once) skip packing: packing all of B (a linear layer's
    /// weight) would cost more than a product with few rows.</summary>
    private const long DotRowsFloats = 64 * 1024;

    /// <summary>Rows of A and of B in one block of the unpacked dot path (12 accumulators).</summary>
    private const int DotRowBlock = 4, DotColumnBlock = 3;

    /// <summary>Columns one task of the unpacked path accumulates at a time.</summary>
    private const int RowChunk = 512;

    /// <summary>Forces a width (tests use it to cover the AVX2 fallback on AVX-512 machines).</summary>
    internal static CpuVectorWidth ForcedWidth { get; set; }

    /// <summary>The width the next product will use, or null when the processor has neither.</summary>
    internal static CpuVectorWidth? ActiveWidth => ForcedWidth switch
    {
        CpuVectorWidth.Avx512 => Avx512Isa.IsSupported ? CpuVectorWidth.Avx512 : null,
        CpuVectorWidth.Avx2 => Avx2Isa.IsSupported ? CpuVectorWidth.Avx2 : null,
        _ => Avx512Isa.IsSupported ? CpuVectorWidth.Avx512 : Avx2Isa.IsSupported ? CpuVectorWidth.Avx2 : null,
    };

    /// <summary>Most steps of K per block: a 16-column AVX2 panel of 384 steps (24 KB) stays in L1
    /// beside the A micro-panel, and C is read and written once per block.</summary>
    private const int KcMax = 384;

    /// <summary>Columns per B panel and steps per K block of the packed path at a width: K split
    /// into equal blocks of at most <see cref="KcMax"/> (K = 512 makes two of 256, not 384 and a
    /// 128 whose C traffic weighs three times as much per FMA).</summary>
    /// <param name="width">The vector width.</param>
    /// <param name="k">K of the products.</param>
    public static (int Nr, int Kc) PanelGeometry(CpuVectorWidth width, int k)
    {
        int blocks = (k + KcMax - 1) / KcMax;
        return (width == CpuVectorWidth.Avx512 ? 32 : 16, (k + blocks - 1) / blocks);
    }

    /// <summary>Runs the product if this processor has a supported vector width.</summary>
    /// <param name="operands">The product.</param>
    /// <param name="prepacked">op(B) already packed (its panels are read in place), or null.</param>
    /// <returns>False when it has neither AVX2 nor AVX-512 (the caller falls back to the kernel).</returns>
    public static bool TryMultiply(in DenseOperands operands, PrepackedB? prepacked = null)
    {
        var width = ActiveWidth;
        // Panels packed for another width (a test forced a different one since) cannot be read.
        if (prepacked is not null && prepacked.Width != width)
            prepacked = null;
        switch (width)
        {
            case CpuVectorWidth.Avx512:
                Run<Avx512Isa, Vector512<float>>(operands, prepacked);
                return true;
            case CpuVectorWidth.Avx2:
                Run<Avx2Isa, Vector256<float>>(operands, prepacked);
                return true;
            default:
                return false;
        }
    }

    private static void Run<TIsa, TVector>(DenseOperands operands, PrepackedB? prepacked) where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        // Packing was what made the packed path too dear for few rows; with B packed already only
        // products of a handful of rows, which would waste most of each 6-row block, stream it raw.
        if (prepacked is not null && shape.M > FewRows)
            Packed<TIsa, TVector>(operands, prepacked);
        else if (shape.TransposeB && (shape.M <= FewRows || (long)shape.M * shape.K <= DotRowsFloats))
            BlockedDot<TIsa, TVector>(operands);
        else if (shape.M <= FewRows)
            FewRowsAxpy<TIsa, TVector>(operands);
        else
            Packed<TIsa, TVector>(operands, null);
    }

    private static void Packed<TIsa, TVector>(DenseOperands operands, PrepackedB? prepacked) where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        var (nr, blockKc) = PanelGeometry(TIsa.Width == 16 ? CpuVectorWidth.Avx512 : CpuVectorWidth.Avx2, shape.K);
        int threads = Environment.ProcessorCount;
        float* scratchB = prepacked is null ? ThreadScratch.PackedB((long)blockKc * (NC + nr)) : null;
        int mBlocks = (shape.M + MC - 1) / MC;
        // Equal row blocks (a multiple of MR each) rather than full MC blocks and a sliver, so the
        // tasks weigh the same: M = 128 makes two blocks of 66 and 62 rows, not 120 and 8.
        int mc = ((shape.M + mBlocks - 1) / mBlocks + MR - 1) / MR * MR;
        mBlocks = (shape.M + mc - 1) / mc;
        for (int jc = 0; jc < shape.N; jc += NC)
        {
            int nc = Math.Min(NC, shape.N - jc);
            int nPanels = (nc + nr - 1) / nr;
            // About four tasks per core even when M is one or two blocks, so uneven tasks or a
            // descheduled worker cost little; each task packs its own A block, so splits along N
            // repeat that (small) packing.
            int nSplits = Math.Min(nPanels, Math.Max(1, (4 * threads + mBlocks - 1) / mBlocks));
            for (int pc = 0; pc < shape.K; pc += blockKc)
            {
                var block = new BlockRange { Jc = jc, Nc = nc, Pc = pc, Kc = Math.Min(blockKc, shape.K - pc), Mc = mc, Panels = nPanels, Splits = nSplits };
                float* packedB = scratchB;
                if (prepacked is null)
                {
                    int panelChunks = Math.Min(nPanels, 2 * threads);
                    Parallel.For(0, panelChunks, CpuRows.OneWorkerPerCore, chunk =>
                        PackB(operands, block.Jc, block.Pc, block.Kc, scratchB, nr, nPanels * chunk / panelChunks, nPanels * (chunk + 1) / panelChunks));
                }
                else
                {
                    packedB = prepacked.BlockAt(pc, jc, block.Kc);
                }
                Parallel.For(0, mBlocks * nSplits, CpuRows.OneWorkerPerCore, task => ComputeTask<TIsa, TVector>(operands, block, packedB, task));
            }
        }
    }

    private struct BlockRange
    {
        public int Jc, Nc, Pc, Kc, Mc, Panels, Splits;
    }

    /// <remarks>Optimised from the first call, as are the packing and the tile store: tiered
    /// compilation ran them as unoptimised tier-0 code (every vector helper a real call) for the
    /// first hundreds of milliseconds, which is all of a run of a few mid-sized products.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ComputeTask<TIsa, TVector>(DenseOperands operands, BlockRange block, float* packedB, int task)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        int nr = 2 * TIsa.Width;
        int ic = task / block.Splits * block.Mc;
        int split = task % block.Splits;
        int mc = Math.Min(block.Mc, shape.M - ic);
        int kc = block.Kc;
        float* packedA = ThreadScratch.PackedA((long)(MC + MR) * kc);
        float* tile = ThreadScratch.Row(MR * nr);
        PackA(operands, packedA, ic, mc, block.Pc, kc);
        var store = new TileStore(operands, block.Pc == 0, block.Pc + kc == shape.K, tile);
        int panelStart = block.Panels * split / block.Splits, panelEnd = block.Panels * (split + 1) / block.Splits;
        for (int panel = panelStart; panel < panelEnd; panel++)
        {
            int column = block.Jc + panel * nr;
            int columns = Math.Min(nr, shape.N - column);
            float* bPanel = packedB + (long)panel * kc * nr;
            for (int ir = 0; ir < mc; ir += MR)
            {
                PrefetchTile(operands.C + (long)(ic + ir) * shape.N + column, Math.Min(MR, mc - ir), shape.N, nr);
                MicroKernel<TIsa, TVector>(packedA + (long)ir * kc, bPanel, kc, tile);
                StoreTile<TIsa, TVector>(operands.C + (long)(ic + ir) * shape.N + column, Math.Min(MR, mc - ir), columns, column, store);
            }
        }
    }

    /// <summary>Asks for the C tile's lines before the micro-kernel runs: its rows lie a whole
    /// row of C apart, which the hardware prefetcher does not follow, and a miss on each when the
    /// tile landed cost as much as the FMAs; the micro-kernel's run hides the fetch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, int rows, long ldc, int nr)
    {
        if (!Sse.IsSupported)
            return;
        for (int r = 0; r < rows; r++, c += ldc)
        {
            Sse.Prefetch0(c);
            Sse.Prefetch0(c + nr - 1);
        }
    }

    /// <summary>op(A)[ic.., pc..] into MR-row panels, k-major inside a panel, rows past M zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(in DenseOperands operands, float* packed, int ic, int mc, int pc, int kc)
    {
        for (int ir = 0; ir < mc; ir += MR)
        {
            float* panel = packed + (long)ir * kc;
            int rows = Math.Min(MR, mc - ir);
            if (operands.Shape.TransposeA)
            {
                for (int k = 0; k < kc; k++)
                {
                    float* source = operands.A + (long)(pc + k) * operands.Shape.M + ic + ir;
                    for (int r = 0; r < MR; r++)
                        panel[k * MR + r] = r < rows ? source[r] : 0f;
                }
            }
            else
            {
                // Element by element this cost ~10 % of a 512³ product on one core; 8×8 register
                // transposes of the panel's rows (and two zero rows) write eight steps at a time.
                // Each step's eight floats run two past its six, into the next step's slot, which
                // the next store overwrites; the last spills into the next panel (written later) or
                // the scratch's spare rows.
                float* first = operands.A + (long)(ic + ir) * operands.Shape.K + pc;
                long lda = operands.Shape.K;
                int vectorSteps = Avx.IsSupported ? kc / 8 * 8 : 0;
                for (int k = 0; k < vectorSteps; k += 8)
                {
                    Transpose8x8(RowOrZero(first, lda, 0, rows, k), RowOrZero(first, lda, 1, rows, k), RowOrZero(first, lda, 2, rows, k),
                        RowOrZero(first, lda, 3, rows, k), RowOrZero(first, lda, 4, rows, k), RowOrZero(first, lda, 5, rows, k),
                        Vector256<float>.Zero, Vector256<float>.Zero, panel + k * MR, MR);
                }
                for (int r = 0; r < MR; r++)
                {
                    float* source = first + r * lda;
                    for (int k = vectorSteps; k < kc; k++)
                        panel[k * MR + r] = r < rows ? source[k] : 0f;
                }
            }
        }
    }

    /// <summary>op(B)[pc..pc+kc, jc..] panels [first, end) of nr columns, k-major, columns past N zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(in DenseOperands operands, int jc, int pc, int kc, float* packed, int nr, int first, int end)
    {
        var shape = operands.Shape;
        for (int panel = first; panel < end; panel++)
        {
            float* destination = packed + (long)panel * kc * nr;
            int column = jc + panel * nr;
            int columns = Math.Min(nr, shape.N - column);
            if (shape.TransposeB)
            {
                // Element by element, this transpose cost as much as the FMAs of a product with
                // 128 rows; 8×8 register transposes cover full panels, scalars the last steps.
                int transposedSteps = columns == nr && Avx.IsSupported ? kc / 8 * 8 : 0;
                for (int j = 0; j < nr; j += 8)
                    for (int k = 0; k < transposedSteps; k += 8)
                        Transpose8x8(operands.B + (long)(column + j) * shape.K + pc + k, shape.K, destination + k * nr + j, nr);
                for (int j = 0; j < nr; j++)
                {
                    if (j < columns)
                    {
                        float* source = operands.B + (long)(column + j) * shape.K + pc;
                        for (int k = transposedSteps; k < kc; k++)
                            destination[k * nr + j] = source[k];
                    }
                    else
                    {
                        for (int k = 0; k < kc; k++)
                            destination[k * nr + j] = 0f;
                    }
                }
            }
            else
            {
                for (int k = 0; k < kc; k++)
                {
                    float* source = operands.B + (long)(pc + k) * shape.N + column;
                    float* row = destination + k * nr;
                    if (columns == nr)
                    {
                        Unsafe.CopyBlockUnaligned(row, source, (uint)(nr * sizeof(float)));
                    }
                    else
                    {
                        for (int j = 0; j < nr; j++)
                            row[j] = j < columns ? source[j] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>Eight rows of eight floats, <paramref name="sourceStride"/> apart, written as the
    /// eight columns of a block whose rows lie <paramref name="destinationStride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* source, long sourceStride, float* destination, long destinationStride)
        => Transpose8x8(Avx.LoadVector256(source), Avx.LoadVector256(source + sourceStride), Avx.LoadVector256(source + 2 * sourceStride),
            Avx.LoadVector256(source + 3 * sourceStride), Avx.LoadVector256(source + 4 * sourceStride), Avx.LoadVector256(source + 5 * sourceStride),
            Avx.LoadVector256(source + 6 * sourceStride), Avx.LoadVector256(source + 7 * sourceStride), destination, destinationStride);

    /// <summary>Row <paramref name="r"/> of a panel at step <paramref name="k"/>, or zeros past its <paramref name="rows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> RowOrZero(float* first, long stride, int r, int rows, int k)
        => r < rows ? Avx.LoadVector256(first + r * stride + k) : Vector256<float>.Zero;

    /// <summary>Eight rows given as registers, written as the eight columns of a block whose rows lie
    /// <paramref name="destinationStride"/> apart (in order, each store a whole vector).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* destination, long destinationStride)
    {
        // Pairs of rows interleaved, then quadruples, each 128-bit half on its own: the low
        // halves then hold columns 0–3 and the high halves columns 4–7.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var q0 = Avx.Shuffle(t0, t2, 0x44); var q1 = Avx.Shuffle(t0, t2, 0xEE);
        var q2 = Avx.Shuffle(t1, t3, 0x44); var q3 = Avx.Shuffle(t1, t3, 0xEE);
        var q4 = Avx.Shuffle(t4, t6, 0x44); var q5 = Avx.Shuffle(t4, t6, 0xEE);
        var q6 = Avx.Shuffle(t5, t7, 0x44); var q7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(destination, Avx.Permute2x128(q0, q4, 0x20));
        Avx.Store(destination + destinationStride, Avx.Permute2x128(q1, q5, 0x20));
        Avx.Store(destination + 2 * destinationStride, Avx.Permute2x128(q2, q6, 0x20));
        Avx.Store(destination + 3 * destinationStride, Avx.Permute2x128(q3, q7, 0x20));
        Avx.Store(destination + 4 * destinationStride, Avx.Permute2x128(q0, q4, 0x31));
        Avx.Store(destination + 5 * destinationStride, Avx.Permute2x128(q1, q5, 0x31));
        Avx.Store(destination + 6 * destinationStride, Avx.Permute2x128(q2, q6, 0x31));
        Avx.Store(destination + 7 * destinationStride, Avx.Permute2x128(q3, q7, 0x31));
    }

    /// <summary>How a micro-tile lands in C: the first K block applies β, later ones accumulate,
    /// the last adds the bias and the activation.</summary>
    private readonly struct TileStore(DenseOperands operands, bool first, bool last, float* tile)
    {
        public readonly DenseOperands Operands = operands;
        public readonly bool First = first, Last = last;
        /// <summary>MR × NR floats where the micro-kernel parks its accumulators.</summary>
        public readonly float* Tile = tile;
    }

    /// <summary>The MR × NR block of one A panel times one B panel over kc steps, into the tile.
    /// Kept free of calls and of anything but the panels so the JIT holds all twelve accumulators
    /// in registers (with more live state it spilled them every iteration).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel<TIsa, TVector>(float* a, float* b, int kc, float* tile)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int w = TIsa.Width;
        TVector c00 = TIsa.Zero, c01 = TIsa.Zero, c10 = TIsa.Zero, c11 = TIsa.Zero, c20 = TIsa.Zero, c21 = TIsa.Zero;
        TVector c30 = TIsa.Zero, c31 = TIsa.Zero, c40 = TIsa.Zero, c41 = TIsa.Zero, c50 = TIsa.Zero, c51 = TIsa.Zero;
        // Four steps per trip: the JIT does not unroll, and the loop's own increments and branch
        // cost a measurable share of the micro-kernel's rate.
        int k = 0;
        for (; k + 4 <= kc; k += 4, a += 4 * MR, b += 8 * w)
        {
            Step<TIsa, TVector>(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step<TIsa, TVector>(a + MR, b + 2 * w, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step<TIsa, TVector>(a + 2 * MR, b + 4 * w, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step<TIsa, TVector>(a + 3 * MR, b + 6 * w, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
        }
        for (; k < kc; k++, a += MR, b += 2 * w)
            Step<TIsa, TVector>(a, b, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
        int nr = 2 * w;
        TIsa.Store(tile, c00); TIsa.Store(tile + w, c01);
        TIsa.Store(tile + nr, c10); TIsa.Store(tile + nr + w, c11);
        TIsa.Store(tile + 2 * nr, c20); TIsa.Store(tile + 2 * nr + w, c21);
        TIsa.Store(tile + 3 * nr, c30); TIsa.Store(tile + 3 * nr + w, c31);
        TIsa.Store(tile + 4 * nr, c40); TIsa.Store(tile + 4 * nr + w, c41);
        TIsa.Store(tile + 5 * nr, c50); TIsa.Store(tile + 5 * nr + w, c51);
    }

    /// <summary>One step of K of the micro-kernel: a row of the B panel times each of the MR values
    /// of the A panel. Inlined, so the accumulators stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TIsa, TVector>(float* a, float* b, ref TVector c00, ref TVector c01, ref TVector c10, ref TVector c11, ref TVector c20, ref TVector c21,
        ref TVector c30, ref TVector c31, ref TVector c40, ref TVector c41, ref TVector c50, ref TVector c51)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        TVector b0 = TIsa.Load(b), b1 = TIsa.Load(b + TIsa.Width);
        TVector a0 = TIsa.Broadcast(a[0]);
        c00 = TIsa.MultiplyAdd(a0, b0, c00);
        c01 = TIsa.MultiplyAdd(a0, b1, c01);
        TVector a1 = TIsa.Broadcast(a[1]);
        c10 = TIsa.MultiplyAdd(a1, b0, c10);
        c11 = TIsa.MultiplyAdd(a1, b1, c11);
        TVector a2 = TIsa.Broadcast(a[2]);
        c20 = TIsa.MultiplyAdd(a2, b0, c20);
        c21 = TIsa.MultiplyAdd(a2, b1, c21);
        TVector a3 = TIsa.Broadcast(a[3]);
        c30 = TIsa.MultiplyAdd(a3, b0, c30);
        c31 = TIsa.MultiplyAdd(a3, b1, c31);
        TVector a4 = TIsa.Broadcast(a[4]);
        c40 = TIsa.MultiplyAdd(a4, b0, c40);
        c41 = TIsa.MultiplyAdd(a4, b1, c41);
        TVector a5 = TIsa.Broadcast(a[5]);
        c50 = TIsa.MultiplyAdd(a5, b0, c50);
        c51 = TIsa.MultiplyAdd(a5, b1, c51);
    }

    /// <summary>Lands the tile parked in <see cref="TileStore.Tile"/> in C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StoreTile<TIsa, TVector>(float* c, int rows, int columns, int column, in TileStore store)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int w = TIsa.Width, nr = 2 * w;
        ref readonly var operands = ref store.Operands;
        long ldc = operands.Shape.N;
        for (int r = 0; r < rows; r++)
        {
            float* tile = store.Tile + r * nr;
            float* cRow = c + r * ldc;
            if (columns == nr)
                StoreFullRow<TIsa, TVector>(cRow, tile, column, store);
            else
                StorePartialRow(cRow, tile, columns, column, store);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreFullRow<TIsa, TVector>(float* c, float* tile, int column, in TileStore store)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int w = TIsa.Width;
        ref readonly var operands = ref store.Operands;
        TVector alpha = TIsa.Broadcast(operands.Alpha);
        TVector low = TIsa.Multiply(TIsa.Load(tile), alpha);
        TVector high = TIsa.Multiply(TIsa.Load(tile + w), alpha);
        if (!store.First)
        {
            low = TIsa.Add(low, TIsa.Load(c));
            high = TIsa.Add(high, TIsa.Load(c + w));
        }
        else if (operands.Beta != 0f)
        {
            TVector beta = TIsa.Broadcast(operands.Beta);
            low = TIsa.MultiplyAdd(beta, TIsa.Load(c), low);
            high = TIsa.MultiplyAdd(beta, TIsa.Load(c + w), high);
        }
        if (store.Last && operands.Bias != null)
        {
            low = TIsa.Add(low, TIsa.Load(operands.Bias + column));
            high = TIsa.Add(high, TIsa.Load(operands.Bias + column + w));
        }
        TIsa.Store(c, low);
        TIsa.Store(c + w, high);
        if (store.Last && operands.Kind != ActivationKind.Identity)
            for (int j = 0; j < 2 * w; j++)
                c[j] = Activation.Apply(operands.Kind, operands.Slope, c[j]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StorePartialRow(float* c, float* tile, int columns, int column, in TileStore store)
    {
        ref readonly var operands = ref store.Operands;
        for (int j = 0; j < columns; j++)
        {
            float value = operands.Alpha * tile[j];
            if (!store.First)
                value += c[j];
            else if (operands.Beta != 0f)
                value += operands.Beta * c[j];
            if (store.Last)
            {
                if (operands.Bias != null)
                    value += operands.Bias[column + j];
                value = Activation.Apply(operands.Kind, operands.Slope, value);
            }
            c[j] = value;
        }
    }

    /// <summary>B stored N×K (a linear layer's weight) and few rows: every C element is a dot product
    /// of two contiguous rows. A register block of 4 rows of op(A) × 3 rows of B (12 vector
    /// accumulators) loads 7 vectors per 12 FMAs, where a lone dot product loads 2 per FMA; B rows
    /// are split across the cores and each streams through once while op(A) stays in cache.</summary>
    private static void BlockedDot<TIsa, TVector>(DenseOperands operands) where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        float* a = operands.A;
        if (shape.TransposeA)
        {
            // op(A) row-major once, on the calling thread, so every task reads contiguous rows.
            a = ThreadScratch.PackedA((long)shape.M * shape.K);
            for (int k = 0; k < shape.K; k++)
                for (int i = 0; i < shape.M; i++)
                    a[(long)i * shape.K + k] = operands.A[(long)k * shape.M + i];
        }
        int columnBlocks = (shape.N + DotColumnBlock - 1) / DotColumnBlock;
        int chunks = Math.Min(columnBlocks, 8 * Environment.ProcessorCount);
        Parallel.For(0, chunks, CpuRows.OneWorkerPerCore, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (chunk) =>
        {
            float* lanes = stackalloc float[DotRowBlock * DotColumnBlock * TIsa.Width];
            int firstBlock = (int)((long)columnBlocks * chunk / chunks), endBlock = (int)((long)columnBlocks * (chunk + 1) / chunks);
            for (int block = firstBlock; block < endBlock; block++)
            {
                int j = block * DotColumnBlock, columns = Math.Min(DotColumnBlock, shape.N - j);
                for (int i = 0; i < shape.M; i += DotRowBlock)
                {
                    int rows = Math.Min(DotRowBlock, shape.M - i);
                    // Blocks at the edges repeat their last row or column rather than branch in
                    // the kernel; the duplicates' sums are discarded.
                    float* a0 = a + (long)i * shape.K, b0 = operands.B + (long)j * shape.K;
                    int done = DotBlock<TIsa, TVector>(a0, a0 + (long)Math.Min(1, rows - 1) * shape.K, a0 + (long)Math.Min(2, rows - 1) * shape.K,
                        a0 + (long)Math.Min(3, rows - 1) * shape.K, b0, b0 + (long)Math.Min(1, columns - 1) * shape.K, b0 + (long)Math.Min(2, columns - 1) * shape.K, shape.K, lanes);
                    for (int r = 0; r < rows; r++)
                    {
                        for (int column = 0; column < columns; column++)
                        {
                            float* lane = lanes + (r * DotColumnBlock + column) * TIsa.Width;
                            float sum = 0f;
                            for (int t = 0; t < TIsa.Width; t++)
                                sum += lane[t];
                            float* aRow = a0 + (long)r * shape.K, bRow = b0 + (long)column * shape.K;
                            for (int k = done; k < shape.K; k++)
                                sum += aRow[k] * bRow[k];
                            float* cElement = operands.C + (long)(i + r) * shape.N + j + column;
                            *cElement = operands.Finish(sum, *cElement, j + column);
                        }
                    }
                }
            }
        });
    }

    /// <summary>The 4×3 dot products of rows a0..a3 with rows b0..b2 over <paramref name="length"/>:
    /// the 12 vector accumulators are parked in <paramref name="lanes"/> (12 × width floats, the
    /// order s00, s01, s02, s10, …) and the scalar tail is left to the caller. Kept free of calls
    /// and of the tail, as <see cref="MicroKernel{TIsa, TVector}"/>: with either, the JIT spilled
    /// every accumulator on every iteration.</summary>
    /// <returns>How many steps the vectors covered; the caller finishes the rest.</returns>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int DotBlock<TIsa, TVector>(float* a0, float* a1, float* a2, float* a3, float* b0, float* b1, float* b2, int length, float* lanes)
        where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        int w = TIsa.Width;
        TVector s00 = TIsa.Zero, s01 = TIsa.Zero, s02 = TIsa.Zero, s10 = TIsa.Zero, s11 = TIsa.Zero, s12 = TIsa.Zero;
        TVector s20 = TIsa.Zero, s21 = TIsa.Zero, s22 = TIsa.Zero, s30 = TIsa.Zero, s31 = TIsa.Zero, s32 = TIsa.Zero;
        int k = 0;
        for (; k + w <= length; k += w)
        {
            TVector x0 = TIsa.Load(b0 + k), x1 = TIsa.Load(b1 + k), x2 = TIsa.Load(b2 + k);
            TVector y = TIsa.Load(a0 + k);
            s00 = TIsa.MultiplyAdd(y, x0, s00); s01 = TIsa.MultiplyAdd(y, x1, s01); s02 = TIsa.MultiplyAdd(y, x2, s02);
            y = TIsa.Load(a1 + k);
            s10 = TIsa.MultiplyAdd(y, x0, s10); s11 = TIsa.MultiplyAdd(y, x1, s11); s12 = TIsa.MultiplyAdd(y, x2, s12);
            y = TIsa.Load(a2 + k);
            s20 = TIsa.MultiplyAdd(y, x0, s20); s21 = TIsa.MultiplyAdd(y, x1, s21); s22 = TIsa.MultiplyAdd(y, x2, s22);
            y = TIsa.Load(a3 + k);
            s30 = TIsa.MultiplyAdd(y, x0, s30); s31 = TIsa.MultiplyAdd(y, x1, s31); s32 = TIsa.MultiplyAdd(y, x2, s32);
        }
        TIsa.Store(lanes, s00); TIsa.Store(lanes + w, s01); TIsa.Store(lanes + 2 * w, s02);
        TIsa.Store(lanes + 3 * w, s10); TIsa.Store(lanes + 4 * w, s11); TIsa.Store(lanes + 5 * w, s12);
        TIsa.Store(lanes + 6 * w, s20); TIsa.Store(lanes + 7 * w, s21); TIsa.Store(lanes + 8 * w, s22);
        TIsa.Store(lanes + 9 * w, s30); TIsa.Store(lanes + 10 * w, s31); TIsa.Store(lanes + 11 * w, s32);
        return k;
    }

    /// <summary>Few rows, B stored K×N: each C row is Σ_k a[k]·B[k, :], accumulated in a chunk of
    /// columns that stays in L1 while B streams through once.</summary>
    private static void FewRowsAxpy<TIsa, TVector>(DenseOperands operands) where TIsa : struct, IVectorIsa<TVector> where TVector : struct
    {
        var shape = operands.Shape;
        int chunks = (shape.N + RowChunk - 1) / RowChunk;
        Parallel.For(0, shape.M * chunks, CpuRows.OneWorkerPerCore, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (task) =>
        {
            int i = task / chunks;
            int first = task % chunks * RowChunk, columns = Math.Min(RowChunk, shape.N - first);
            float* sums = ThreadScratch.Row(RowChunk);
            new Span<float>(sums, columns).Clear();
            int w = TIsa.Width;
            for (int k = 0; k < shape.K; k++)
            {
                float scale = operands.AAt(i, k);
                TVector factor = TIsa.Broadcast(scale);
                float* bRow = operands.B + (long)k * shape.N + first;
                int j = 0;
                for (; j + w <= columns; j += w)
                    TIsa.Store(sums + j, TIsa.MultiplyAdd(factor, TIsa.Load(bRow + j), TIsa.Load(sums + j)));
                for (; j < columns; j++)
                    sums[j] += scale * bRow[j];
            }
            float* cRow = operands.C + (long)i * shape.N + first;
            for (int j = 0; j < columns; j++)
                cRow[j] = operands.Finish(sums[j], cRow[j], first + j);
        });
    }
}
