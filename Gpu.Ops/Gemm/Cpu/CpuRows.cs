using ILGPU;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Gpu.Core;

namespace Gpu.Ops.Gemm.Cpu;

/// <summary>Loop mechanics shared by the CPU paths of the row-wise products (sparse, quantized,
/// codebook): host pointers of views, rows split across the cores, and the vector helpers that
/// accumulate one output row.</summary>
/// <remarks>The SIMD loops of every CPU path (these row bodies, the GEMM, conv and recurrence
/// kernels) are marked <see cref="MethodImplOptions.AggressiveOptimization"/>: under tiered
/// compilation their first calls ran as tier-0 code, where every vector helper is a real call, and
/// a layer's first dozen calls ran several times slower than the rest.</remarks>
internal static unsafe class CpuRows
{
    /// <summary>Columns of Y (and of X) the wide products finish together, row after row: a tile of
    /// Y stays in L1 while every kept weight adds to it, and the tile of X (K rows) stays in L2 for
    /// every row, instead of whole rows of X and Y streaming through memory once per weight.</summary>
    public const int ColumnTile = 256;

    /// <summary>Work on one tile of columns: <c>tile</c> holds the tile's K rows of X packed
    /// contiguously, <c>width</c> floats each.</summary>
    public delegate void ColumnTileBody(int start, int width, float* tile);

    /// <summary>Runs <paramref name="body"/> over the columns of X (K × <paramref name="n"/>,
    /// row-major) in tiles of <see cref="ColumnTile"/>, spread over every core: a wide product (an
    /// im2col matrix has as many columns as pixels) has far more tiles than rows. Each tile is first
    /// copied into the thread's scratch, since X's rows lie a power of two apart for square images
    /// and the same columns of K rows would otherwise evict each other from the same cache sets.</summary>
    public static void ForEachColumnTile(ArrayView<float> x, int k, int n, ColumnTileBody body)
    {
        nint xAddress = (nint)Pointer(x);
        int tiles = (n + ColumnTile - 1) / ColumnTile;
        ForEachRowRange(tiles, (first, end) =>
        {
            float* source = (float*)xAddress;
            float* tile = ThreadScratch.PackedB((long)k * ColumnTile);
            for (int index = first; index < end; index++)
            {
                int start = index * ColumnTile, width = Math.Min(ColumnTile, n - start);
                for (int row = 0; row < k; row++)
                    Buffer.MemoryCopy(source + (long)row * n + start, tile + (long)row * width, (long)width * sizeof(float), (long)width * sizeof(float));
                body(start, width, tile);
            }
        });
    }

    /// <summary>Whether the AVX2 + FMA helpers below can run.</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>The host address of element 0 of an ILGPU view of host-addressable memory (null when empty).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T* Pointer<T>(ArrayView<T> view) where T : unmanaged => view.Length == 0 ? null : (T*)Unsafe.AsPointer(ref view[0L]);

    /// <summary>Parallel.For otherwise runs the calling thread beside a worker per core, and the
    /// third thread on two cores evicts the others' cached panels and rows whenever they are switched.</summary>
    public static readonly ParallelOptions OneWorkerPerCore = new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    /// <summary>Runs <paramref name="body"/> over contiguous row ranges on every core.</summary>
    public static void ForEachRowRange(int rows, Action<int, int> body)
    {
        int chunks = Math.Min(rows, 8 * Environment.ProcessorCount);
        Parallel.For(0, chunks, OneWorkerPerCore, chunk => body((int)((long)rows * chunk / chunks), (int)((long)rows * (chunk + 1) / chunks)));
    }

    /// <summary><c>row[0..n) += scale · source[0..n)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Axpy(float* row, float scale, float* source, int n)
    {
        var factor = Vector256.Create(scale);
        int j = 0;
        for (; j + 8 <= n; j += 8)
            Avx.Store(row + j, Fma.MultiplyAdd(factor, Avx.LoadVector256(source + j), Avx.LoadVector256(row + j)));
        for (; j < n; j++)
            row[j] += scale * source[j];
    }

    /// <summary>The sum of the lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> value)
    {
        var half = value.GetLower() + value.GetUpper();
        half += Sse.MoveHighToLow(half, half);
        half += Sse.Shuffle(half, half, 0b01);
        return half.ToScalar();
    }

    /// <summary>A row epilogue with the host addresses of its views found once: ILGPU's host indexer checks
    /// every access, which a loop over rows should not pay per row or per element.</summary>
    public readonly struct HostRowEpilogue(in RowEpilogue epilogue)
    {
        private readonly RowEpilogue epilogue = epilogue;
        private readonly float* scale = Pointer(epilogue.Scale), bias = Pointer(epilogue.Bias);
        private readonly bool leavesSums = epilogue.Scale.Length == 0 && epilogue.Bias.Length == 0 && epilogue.Kind == ActivationKind.Identity && epilogue.Accumulate == 0;

        /// <summary>When accumulating, a copy of <c>y[0..n)</c> in the calling thread's scratch, taken before
        /// the row loops overwrite y with their sums; otherwise null, and nothing is read.</summary>
        public float* KeepPrevious(float* y, int n)
        {
            if (epilogue.Accumulate == 0)
                return null;
            float* copy = ThreadScratch.Previous(n);
            Buffer.MemoryCopy(y, copy, (long)n * sizeof(float), (long)n * sizeof(float));
            return copy;
        }

        /// <summary>Applies the epilogue to <c>y[0..n)</c>, the finished sums of <paramref name="row"/>, adding
        /// <paramref name="previous"/>[0..n) when accumulating (it may be null otherwise).</summary>
        /// <remarks>Optimized from its first call: a layer's early calls would otherwise run this per-row loop as tier-0 code.</remarks>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Finish(float* y, int n, int row, float* previous)
        {
            // A plain product's sums are its outputs: the dot-product rows (N = 1) would otherwise pay a call per row for nothing.
            if (leavesSums)
                return;
            float rowScale = scale != null ? scale[row] : 1f, rowBias = bias != null ? bias[row] : 0f;
            for (int j = 0; j < n; j++)
                y[j] = RowEpilogue.Apply(epilogue, y[j], rowScale, rowBias, previous == null ? 0f : previous[j]);
        }
    }
}
