using Gpu.Core;
using Gpu.Ops.Gemm.Cpu;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>The B operand of <see cref="DenseGemm"/> prepared once for many products (a layer's
/// weight): on the CPU it holds B packed into the panels the packed path reads, and on OpenCL CPU
/// runtimes op(B) in the register-blocked kernel's column panels, so repeated products skip re-packing
/// it; on other devices it holds the view and products take the ordinary path. Made by
/// <see cref="DenseGemm.PackB"/>; B must not change while these are in use, since the packed forms are copies.</summary>
public sealed class PackedGemmWeights : IDisposable
{
    private PrepackedB? host;
    private DeviceBuffer<float>? columnPanels;
    private bool disposed;

    internal PackedGemmWeights(Accelerator accelerator, GemmShape shape, ArrayView<float> source, PrepackedB? host, DeviceBuffer<float>? columnPanels)
    {
        Accelerator = accelerator;
        Shape = shape;
        Source = source;
        this.host = host;
        this.columnPanels = columnPanels;
    }

    /// <summary>The accelerator the weights belong to.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The shape given when packing; products must agree on N, K and <see cref="GemmShape.TransposeB"/>.</summary>
    public GemmShape Shape { get; }

    /// <summary>The B view the weights were made from.</summary>
    public ArrayView<float> Source { get; }

    /// <summary>Whether B is held packed (a CPU with AVX2 or AVX-512) rather than as the plain view.</summary>
    public bool IsPacked => host is not null;

    /// <summary>The packed panels, or null where B is used as is.</summary>
    internal PrepackedB? Host
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return host;
        }
    }

    /// <summary>op(B) copied once into the column panels the register-blocked kernel of OpenCL CPU runtimes
    /// reads (<see cref="GemmColumnPanelKernel"/>); null elsewhere, and where B has fewer columns than a panel.</summary>
    internal DeviceBuffer<float>? ColumnPanels
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return columnPanels;
        }
    }

    /// <summary>Throws unless a product of <paramref name="shape"/> on <paramref name="accelerator"/> can use these weights.</summary>
    internal void RequireCompatible(Accelerator accelerator, GemmShape shape)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (!ReferenceEquals(accelerator, Accelerator))
            throw new ArgumentException($"The packed weights belong to {Accelerator.Device.Name}, not to {accelerator.Device.Name}.");
        if (shape.N != Shape.N || shape.K != Shape.K || shape.TransposeB != Shape.TransposeB)
            throw new ArgumentException($"The packed weights hold B for N={Shape.N}, K={Shape.K}, TransposeB={Shape.TransposeB}; " +
                $"the product needs N={shape.N}, K={shape.K}, TransposeB={shape.TransposeB}.");
    }

    /// <summary>Frees the packed copy (the source view stays its owner's).</summary>
    public void Dispose()
    {
        disposed = true;
        host?.Dispose();
        host = null;
        columnPanels?.Dispose();
        columnPanels = null;
    }
}
