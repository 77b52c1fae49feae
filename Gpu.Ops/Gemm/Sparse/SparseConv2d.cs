using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Sparse;

/// <summary>A convolution with pruned weights, through im2col: each image is unfolded into a
/// PatchLength × positions matrix and multiplied by the sparse OutC × PatchLength weight, which
/// yields the NCHW output directly.</summary>
public static class SparseConv2d
{
    /// <summary>Convolves a batch with a CSR weight (OutC × C·KH·KW, the PyTorch weight flattened).</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">The weight.</param>
    /// <param name="geometry">The convolution.</param>
    /// <param name="input">batch × C × H × W.</param>
    /// <param name="output">batch × OutC × OH × OW.</param>
    /// <param name="batch">Images.</param>
    /// <param name="bias">OutC biases, or empty.</param>
    /// <param name="activation">The activation.</param>
    public static void Forward(Accelerator accelerator, CsrMatrix weights, ConvGeometry geometry, ArrayView<float> input, ArrayView<float> output,
        int batch, ArrayView<float> bias = default, Activation activation = default)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Run(accelerator, weights.Rows, weights.Columns, geometry, input, output, batch,
            (columns, image) => SparseGemm.Multiply(accelerator, weights, columns, image, geometry.OutputPositions, bias, activation));
    }

    /// <summary>Convolves a batch with a 1×8 block-sparse weight.</summary>
    /// <param name="accelerator">The accelerator owning every view.</param>
    /// <param name="weights">The weight.</param>
    /// <param name="geometry">The convolution.</param>
    /// <param name="input">batch × C × H × W.</param>
    /// <param name="output">batch × OutC × OH × OW.</param>
    /// <param name="batch">Images.</param>
    /// <param name="bias">OutC biases, or empty.</param>
    /// <param name="activation">The activation.</param>
    public static void Forward(Accelerator accelerator, BlockSparseMatrix weights, ConvGeometry geometry, ArrayView<float> input, ArrayView<float> output,
        int batch, ArrayView<float> bias = default, Activation activation = default)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Run(accelerator, weights.Rows, weights.Columns, geometry, input, output, batch,
            (columns, image) => SparseGemm.Multiply(accelerator, weights, columns, image, geometry.OutputPositions, bias, activation));
    }

    private static void Run(Accelerator accelerator, int outputChannels, int patchLength, ConvGeometry geometry, ArrayView<float> input,
        ArrayView<float> output, int batch, Action<ArrayView<float>, ArrayView<float>> multiply)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        geometry.Validate();
        if (patchLength != geometry.PatchLength)
            throw new ArgumentException($"The weight has {patchLength} columns; {geometry} needs C·KH·KW = {geometry.PatchLength}.");
        int inputSize = geometry.Channels * geometry.Height * geometry.Width;
        int outputSize = outputChannels * geometry.OutputPositions;
        if (batch <= 0 || input.Length != (long)batch * inputSize || output.Length != (long)batch * outputSize)
            throw new ArgumentException($"A batch of {batch} needs {(long)batch * inputSize} input and {(long)batch * outputSize} output elements; got {input.Length} and {output.Length}.");
        accelerator.CheckView(input);
        accelerator.CheckView(output);
        OperandChecks.Disjoint(input, output);
        using var columns = accelerator.Allocate<float>((long)geometry.PatchLength * geometry.OutputPositions);
        for (int image = 0; image < batch; image++)
        {
            Im2Col.Unfold(accelerator, geometry, input.SubView(image * inputSize, inputSize), columns.View);
            multiply(columns.View, output.SubView(image * outputSize, outputSize));
        }
    }
}
