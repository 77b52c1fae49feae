using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>A linear layer's product over a batch of rows, <c>y (rows × Outputs) = x (rows × Inputs) · Wᵀ + bias</c>,
/// whatever form W is held in, so an op such as <see cref="Sequence.Lstm"/> can run weights a caller
/// stores sparse or quantized.</summary>
public interface ILinearProduct
{
    /// <summary>Features of each input row (K).</summary>
    int Inputs { get; }

    /// <summary>Features of each output row (M), bias included.</summary>
    int Outputs { get; }

    /// <summary>Computes the product for <paramref name="rows"/> rows; <paramref name="y"/> must not overlap <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">A view's length is not the rows times the layer's width, or the views overlap.</exception>
    void Multiply(ArrayView<float> x, ArrayView<float> y, int rows);
}
