using Gpu.Core;
using Gpu.Core.Ilgpu;
using Gpu.Ops.Gemm.Cpu;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>Dense single-precision GEMM with a fused epilogue:
/// <c>C = act(α·op(A)·op(B) + β·C + bias)</c>, row-major, any M, N, K. On the CPU it runs the
/// packed AVX2/AVX-512 path; on OpenCL runtimes on a host CPU (PoCL) the barrier-free
/// register-blocked kernel (<see cref="RegisterBlockedGemmKernel"/>), or for a small batch of a
/// linear layer (B transposed) the dot-product kernel (<see cref="DotProductGemmKernel"/>); on CUDA devices cuBLAS
/// (<see cref="CublasGemm"/>) and on other OpenCL devices the shared-memory tiled kernel
/// (<see cref="TiledGemmKernel"/>) when C is large enough to fill its tiles, otherwise (and on any
/// other device) the one-thread-per-element portable kernel.</summary>
public static class DenseGemm
{
    /// <summary>Computes <c>C = act(α·op(A)·op(B) + β·C + bias)</c> on <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">The accelerator owning the views.</param>
    /// <param name="shape">M, N, K and the transposes.</param>
    /// <param name="a">A: M×K, or K×M when transposed.</param>
    /// <param name="b">B: K×N, or N×K when transposed.</param>
    /// <param name="c">C: M×N; read only when <paramref name="beta"/> ≠ 0.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the previous C.</param>
    /// <param name="bias">N per-column biases, or an empty view for none.</param>
    /// <param name="activation">The activation applied last.</param>
    /// <exception cref="ArgumentException">A dimension is not positive, a view has the wrong length or
    /// belongs to another accelerator, or C shares memory with another operand.</exception>
    /// <exception cref="ObjectDisposedException">A view's buffer or the accelerator is disposed.</exception>
    public static void Multiply(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b,
        ArrayView<float> c, float alpha = 1f, float beta = 0f, ArrayView<float> bias = default, Activation activation = default)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        MultiplyCore(accelerator, shape, a, b, null, c, alpha, beta, bias, activation);
    }

    /// <summary>Computes <c>C = act(α·op(A)·op(B) + β·C + bias)</c> with B prepared by
    /// <see cref="PackB"/>, which spares the CPU re-packing B on every call.</summary>
    /// <param name="accelerator">The accelerator owning the views and the weights.</param>
    /// <param name="shape">M, N, K and the transposes; N, K and TransposeB must match the packing.</param>
    /// <param name="a">A: M×K, or K×M when transposed.</param>
    /// <param name="b">B, packed.</param>
    /// <param name="c">C: M×N; read only when <paramref name="beta"/> ≠ 0.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="beta">Scale of the previous C.</param>
    /// <param name="bias">N per-column biases, or an empty view for none.</param>
    /// <param name="activation">The activation applied last.</param>
    /// <exception cref="ArgumentException">The shape disagrees with the packing, the weights belong to
    /// another accelerator, a dimension is not positive or a view has the wrong length.</exception>
    /// <exception cref="ObjectDisposedException">The weights were disposed.</exception>
    public static void Multiply(Accelerator accelerator, GemmShape shape, ArrayView<float> a, PackedGemmWeights b,
        ArrayView<float> c, float alpha = 1f, float beta = 0f, ArrayView<float> bias = default, Activation activation = default)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(b);
        b.RequireCompatible(accelerator, shape);
        // Only the register-blocked kernel wants B's rows as vectors; the kernels that take smaller
        // products (a small-batch linear layer, a recurrent step) read a transposed B's rows along K
        // contiguously and the stored transpose's columns a row apart.
        if (b.Transposed is { } transposed && RegisterBlockedGemmKernel.Suits(shape))
            MultiplyCore(accelerator, shape with { TransposeB = false }, a, transposed.View, null, c, alpha, beta, bias, activation);
        else
            MultiplyCore(accelerator, shape, a, b.Source, b.Host, c, alpha, beta, bias, activation);
    }

    /// <summary>Prepares B for many products of the same N, K and TransposeB (a layer's weight):
    /// on a CPU with AVX2 or AVX-512 it is packed once here; on an OpenCL CPU runtime a transposed B is
    /// stored transposed once; elsewhere the view is kept as is.</summary>
    /// <param name="accelerator">The accelerator owning <paramref name="b"/>.</param>
    /// <param name="shape">N, K and TransposeB of the products; M is not used.</param>
    /// <param name="b">B: K×N, or N×K when transposed. It must not change while the result is in use.</param>
    /// <returns>The weights, to dispose when the layer is.</returns>
    /// <exception cref="ArgumentException">N or K is not positive or <paramref name="b"/> has the wrong length.</exception>
    public static unsafe PackedGemmWeights PackB(Accelerator accelerator, GemmShape shape, ArrayView<float> b)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (shape.N <= 0 || shape.K <= 0)
            throw new ArgumentException($"GEMM dimensions must be positive, got N={shape.N}, K={shape.K}.");
        if (b.Length != (long)shape.K * shape.N)
            throw new ArgumentException($"B holds {b.Length} elements; a GEMM of N={shape.N}, K={shape.K} needs {(long)shape.K * shape.N}.");
        PrepackedB? host = null;
        if (accelerator.IsHostAddressable())
            fixed (float* bHost = b.AsHostSpan(accelerator))
                host = PrepackedB.TryPack(shape, bHost);
        DeviceBuffer<float>? transposed = null;
        if (shape.TransposeB && accelerator.Device.PrefersBarrierFreeSchedule())
        {
            accelerator.CheckView(b);
            transposed = accelerator.Allocate<float>((long)shape.K * shape.N);
            Transpose(accelerator, b, transposed.View, shape);
        }
        return new PackedGemmWeights(accelerator, shape, b, host, transposed);
    }

    private static void MultiplyCore(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, PrepackedB? prepacked, ArrayView<float> c,
        float alpha, float beta, ArrayView<float> bias, Activation activation)
    {
        CheckOperands(accelerator, shape, a, b, c, bias);
        var epilogue = GemmEpilogue.Create(shape.N, alpha, beta, bias, activation);
        if (accelerator.IsHostAddressable() && TryMultiplyOnHost(accelerator, shape, a, b, prepacked, c, bias, epilogue))
            return;
        if (accelerator is IlgpuAccelerator cuda && TiledGemmKernel.Suits(shape) && CublasGemm.IsAvailable(cuda))
        {
            CublasGemm.MultiplyChecked(cuda, shape, a, b, c, alpha, beta, bias, activation);
            return;
        }
        if (accelerator.Device.PrefersBarrierFreeSchedule() && DotProductGemmKernel.Suits(shape))
            accelerator.Launch(shape.N, DotProductGemmKernel.For(shape, a, b, c, epilogue));
        else if (accelerator.Device.PrefersBarrierFreeSchedule() && RegisterBlockedGemmKernel.Suits(shape)
            && (!shape.TransposeB || shape.M >= MinRowsToTransposeB))
            MultiplyRegisterBlocked(accelerator, shape, a, b, c, epilogue);
        else if (accelerator.Device.Kind is DeviceKind.OpenCL or DeviceKind.Cuda && TiledGemmKernel.Suits(shape))
            accelerator.LaunchGrouped(TiledGemmKernel.ExtentOf(shape), TiledGemmKernel.For(shape, a, b, c, epilogue));
        else
            accelerator.Launch(shape.N, shape.M, SimpleGemmKernel.For(shape, a, b, c, epilogue));
    }

    /// <summary>Fewest rows of C for which an unprepared transposed B is transposed per call for the
    /// register-blocked kernel: the transpose moves K·N elements whatever M is, so with few rows the
    /// tiled kernel, which reads B transposed as it stands, is faster (measured at 4096×4096 on PoCL,
    /// docs/opencl-engine.md section 4). Weights prepared by <see cref="PackB"/> are transposed once
    /// and take the register-blocked kernel at any M.</summary>
    private const int MinRowsToTransposeB = 64;

    /// <summary>Writes B (N×K) transposed into <paramref name="destination"/> (K×N).</summary>
    private static void Transpose(Accelerator accelerator, ArrayView<float> b, ArrayView<float> destination, GemmShape shape)
        => accelerator.Launch(BlockTransposeKernel.Tiles(shape.K), BlockTransposeKernel.Tiles(shape.N), BlockTransposeKernel.For(b, destination, shape.N, shape.K));

    /// <summary>The CPU-runtime kernel, which reads B's rows as vectors: a transposed B (a linear
    /// layer's weight) is first transposed into a scratch buffer, K·N moves beside M·N·K multiply-adds.</summary>
    private static void MultiplyRegisterBlocked(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmEpilogue epilogue)
    {
        if (!shape.TransposeB)
        {
            RegisterBlockedGemmKernel.Launch(accelerator, shape, a, b, c, epilogue);
            return;
        }
        using var transposed = accelerator.Allocate<float>((long)shape.K * shape.N);
        Transpose(accelerator, b, transposed.View, shape);
        MultiplyRegisterBlocked(accelerator, shape with { TransposeB = false }, a, transposed.View, c, epilogue);
    }

    /// <summary>The operand checks every dense route shares: lengths for the shape, views of this accelerator, C apart from the inputs.</summary>
    internal static void CheckOperands(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias)
    {
        shape.Validate(a.Length, b.Length, c.Length);
        accelerator.CheckView(a);
        accelerator.CheckView(b);
        accelerator.CheckView(c);
        accelerator.CheckView(bias);
        OperandChecks.Disjoint(a, c);
        OperandChecks.Disjoint(b, c);
        OperandChecks.Disjoint(bias, c);
    }

    private static unsafe bool TryMultiplyOnHost(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, PrepackedB? prepacked, ArrayView<float> c, ArrayView<float> bias, GemmEpilogue epilogue)
    {
        fixed (float* aHost = a.AsHostSpan(accelerator), bHost = b.AsHostSpan(accelerator), cHost = c.AsHostSpan(accelerator), biasHost = bias.AsHostSpan(accelerator))
        {
            var operands = new DenseOperands
            {
                Shape = shape, A = aHost, B = bHost, C = cHost, Bias = bias.Length == 0 ? null : biasHost,
                Alpha = epilogue.Alpha, Beta = epilogue.Beta, Kind = epilogue.Kind, Slope = epilogue.Slope,
            };
            return CpuDenseGemm.TryMultiply(operands, prepacked);
        }
    }
}
