namespace Gpu.Ops.Image;

/// <summary>The plain, obviously correct convolution on host arrays in NCHW, accumulating in
/// double: what every fast path is tested against.</summary>
public static class Conv2dReference
{
    /// <summary>Computes the convolution and its epilogue.</summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="input">N·C·H·W inputs, NCHW.</param>
    /// <param name="weights">O·C·KH·KW weights.</param>
    /// <param name="epilogue">Bias, affine and activation.</param>
    /// <param name="residual">N·O·H'·W' values added last, or null.</param>
    /// <returns>N·O·H'·W' outputs, NCHW.</returns>
    /// <exception cref="ArgumentException">An array has the wrong length.</exception>
    public static float[] Forward(Conv2dShape shape, float[] input, float[] weights, Conv2dEpilogue epilogue, float[]? residual = null)
    {
        shape.Validate();
        Require(input.Length == shape.InputLength, $"input holds {input.Length} values, the shape needs {shape.InputLength}");
        Require(weights.Length == shape.WeightLength, $"weights hold {weights.Length} values, the shape needs {shape.WeightLength}");
        Require(residual is null || residual.Length == shape.OutputLength, $"residual holds {residual?.Length} values, the output has {shape.OutputLength}");
        int outHeight = shape.OutHeight, outWidth = shape.OutWidth, kh = shape.KernelHeight, kw = shape.KernelWidth;
        var output = new float[shape.OutputLength];
        for (int n = 0; n < shape.Batch; n++)
        for (int o = 0; o < shape.OutChannels; o++)
        for (int i = 0; i < outHeight; i++)
        for (int j = 0; j < outWidth; j++)
        {
            double sum = 0;
            for (int c = 0; c < shape.InChannels; c++)
            for (int u = 0; u < kh; u++)
            for (int v = 0; v < kw; v++)
            {
                int y = i * shape.Stride + u * shape.Dilation - shape.Padding.Top;
                int x = j * shape.Stride + v * shape.Dilation - shape.Padding.Left;
                if (y >= 0 && y < shape.Height && x >= 0 && x < shape.Width)
                    sum += (double)weights[((o * shape.InChannels + c) * kh + u) * kw + v] * input[((n * shape.InChannels + c) * shape.Height + y) * shape.Width + x];
            }
            double value = sum + (epilogue.Bias?[o] ?? 0f);
            value = value * (epilogue.Scale?[o] ?? 1f) + (epilogue.Shift?[o] ?? 0f);
            int at = ((n * shape.OutChannels + o) * outHeight + i) * outWidth + j;
            float activated = epilogue.Activation.Apply((float)value);
            output[at] = residual is null ? activated : activated + residual[at];
        }
        return output;
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
            throw new ArgumentException(message);
    }
}
