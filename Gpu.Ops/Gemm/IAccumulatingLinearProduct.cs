using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>A linear product that can also add into its output, <c>y += x·Wᵀ (+ bias)</c>, whatever form W is
/// held in: an LSTM's recurrent term goes straight into the gates that already hold the input projection.</summary>
public interface IAccumulatingLinearProduct : ILinearProduct
{
    /// <summary>Adds the product for <paramref name="rows"/> rows to <paramref name="y"/>; <paramref name="y"/> must not overlap <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">A view's length is not the rows times the layer's width, or the views overlap.</exception>
    void MultiplyAdd(ArrayView<float> x, ArrayView<float> y, int rows);
}
