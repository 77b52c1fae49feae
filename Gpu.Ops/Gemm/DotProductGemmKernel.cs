using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>The dense GEMM of few rows against a transposed B (a linear layer's weight, N×K, at a
/// batch of up to <see cref="MaxRows"/>) for OpenCL runtimes on a host CPU (PoCL): one work item per
/// column of C, that is per row of the weight, taking dot products along K with every row of A in
/// turn. Both operands are read along K contiguously, so the weight is
/// streamed once as it is stored, where <see cref="RegisterBlockedGemmKernel"/> needs it copied into column panels
/// first (K·N moves, more than the M·N·K multiply-adds of a small batch); the weight's row stays in the
/// item's cache from one row of A to the next. Per step the item loads two 16-wide segments of each
/// row and adds their products to two sets of 16 scalar partial sums (two independent FMA chains), which the
/// compiler's SLP vectoriser packs into vector FMAs; the lanes are summed once at the end and the last K mod 16
/// steps run scalar. The epilogue is fused into the store.</summary>
public struct DotProductGemmKernel : IKernel1D
{
    /// <summary>Most rows of C the kernel takes: each row of A is one more pass over the weight's row
    /// (from the item's cache), so larger batches go to the kernels that block rows (docs/opencl-engine.md 10.5).</summary>
    public const int MaxRows = 16;

    /// <summary>The views and their strides.</summary>
    public StridedGemmOperands Operands;
    /// <summary>The epilogue.</summary>
    public GemmEpilogue Epilogue;

    /// <summary>Whether the kernel takes a product of <paramref name="shape"/>: B transposed (N×K), A
    /// not (both read along K), and at most <see cref="MaxRows"/> rows of C.</summary>
    public static bool Suits(GemmShape shape) => shape.TransposeB && !shape.TransposeA && shape.M <= MaxRows;

    /// <summary>The kernel for <paramref name="shape"/>, to launch over N items.</summary>
    /// <param name="shape">The product's shape.</param>
    /// <param name="a">A, M×K.</param>
    /// <param name="b">B, N×K.</param>
    /// <param name="c">C.</param>
    /// <param name="epilogue">The epilogue.</param>
    /// <exception cref="ArgumentException">The shape does not suit the kernel (<see cref="Suits"/>).</exception>
    public static DotProductGemmKernel For(GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmEpilogue epilogue)
    {
        if (!Suits(shape))
            throw new ArgumentException($"The dot-product GEMM takes A untransposed, B transposed and at most {MaxRows} rows of C; got {shape}.", nameof(shape));
        return new() { Operands = StridedGemmOperands.Of(shape, a, b, c), Epilogue = epilogue };
    }

    /// <summary>Column <paramref name="column"/> of C, every row in turn.</summary>
    /// <param name="column">Column of C, row of B.</param>
    public void Execute(int column)
    {
        for (int row = 0; row < Operands.M; row++)
            Store(Operands, Epilogue, row, column, Dot(Operands, row, column));
    }

    /// <summary>Row <paramref name="row"/> of A times row <paramref name="column"/> of B. One row of A at a
    /// time: given the partial sums of several rows at once, the compiler's SLP vectoriser packs the same
    /// lane of each row together and gathers A, where with one row it packs the lanes.</summary>
    private static float Dot(StridedGemmOperands operands, int row, int column)
    {
        // 64-bit indices, as in GemmRowSegment.Load: the segment's 16 addresses must be seen to be adjacent.
        long a = (long)row * operands.K, b = (long)column * operands.K;
        GemmRowSegment even = default, odd = default;
        const int width = GemmRowSegment.Width;
        int k = 0;
        for (; k + 2 * width <= operands.K; k += 2 * width)
        {
            even = GemmRowSegment.MultiplyAdd(GemmRowSegment.Load(operands.A, a + k), GemmRowSegment.Load(operands.B, b + k), even);
            odd = GemmRowSegment.MultiplyAdd(GemmRowSegment.Load(operands.A, a + k + width), GemmRowSegment.Load(operands.B, b + k + width), odd);
        }
        if (k + width <= operands.K)
        {
            even = GemmRowSegment.MultiplyAdd(GemmRowSegment.Load(operands.A, a + k), GemmRowSegment.Load(operands.B, b + k), even);
            k += width;
        }
        float sum = GemmRowSegment.Sum(even) + GemmRowSegment.Sum(odd);
        for (; k < operands.K; k++)
            sum = MathF.FusedMultiplyAdd(operands.A[a + k], operands.B[b + k], sum);
        return sum;
    }

    private static void Store(StridedGemmOperands operands, GemmEpilogue epilogue, int row, int column, float product)
    {
        long at = (long)row * operands.N + column;
        operands.C[at] = GemmEpilogue.Apply(epilogue, product, operands.C[at], column);
    }
}
