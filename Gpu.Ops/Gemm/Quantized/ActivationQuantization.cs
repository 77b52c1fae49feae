using System.Numerics.Tensors;
using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>Per-tensor asymmetric uint8 parameters of a float tensor, chosen like PyTorch's
/// dynamic quantization: the range [min(x, 0), max(x, 0)] mapped onto 0–255 (or 0–127).</summary>
public static class ActivationQuantization
{
    /// <summary>The scale and zero point for <paramref name="x"/>.</summary>
    /// <param name="accelerator">The accelerator owning the view; memory it cannot address from the
    /// host is copied back for the min/max scan.</param>
    /// <param name="x">The tensor.</param>
    /// <param name="highest">The largest quantized value: 255 for the full uint8 range, 127 for
    /// PyTorch's reduce_range (7-bit activations, which x86 kernels multiply with vpmaddubsw
    /// without int16 saturation).</param>
    /// <returns>x ≈ scale·(q − zeroPoint), q in [0, highest].</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="highest"/> is not in 1–255.</exception>
    public static (float Scale, int ZeroPoint) Choose(Accelerator accelerator, ArrayView<float> x, int highest = 255)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(highest, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(highest, 255);
        ArgumentNullException.ThrowIfNull(accelerator);
        float[]? copy = null;
        if (!accelerator.IsHostAddressable())
        {
            copy = new float[x.Length];
            CopyToHost(accelerator, x, copy);
        }
        ReadOnlySpan<float> values = copy ?? (ReadOnlySpan<float>)x.AsHostSpan(accelerator);
        // TensorPrimitives propagates a NaN as MathF.Min/Max do, eight lanes at a time, where a
        // scalar loop was a sizeable share of a wide layer's call.
        float min = values.IsEmpty ? 0f : MathF.Min(0f, TensorPrimitives.Min(values));
        float max = values.IsEmpty ? 0f : MathF.Max(0f, TensorPrimitives.Max(values));
        float scale = (max - min) / highest;
        if (scale == 0f)
            return (1f, 0);
        return (scale, Math.Clamp((int)MathF.Round(-min / scale), 0, highest));
    }

    private static void CopyToHost(Accelerator accelerator, ArrayView<float> x, float[] destination)
    {
        // Views carry no buffer; a device-side copy kernel into a fresh buffer gets the data out.
        using var staging = accelerator.Allocate<float>(x.Length);
        accelerator.Launch(OperandChecks.LaunchCount(x), new Image.CopyKernel { Source = x, Destination = staging.View });
        staging.CopyToHost(destination);
    }
}
