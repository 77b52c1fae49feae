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
    /// host is reduced to partial ranges there first (<see cref="ActivationRangeKernel"/>).</param>
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
        var (lowest, largest) = accelerator.IsHostAddressable() ? Range(x.AsHostSpan(accelerator)) : DeviceRange(accelerator, x);
        float min = MathF.Min(0f, lowest), max = MathF.Max(0f, largest);
        float scale = (max - min) / highest;
        if (scale == 0f)
            return (1f, 0);
        return (scale, Math.Clamp((int)MathF.Round(-min / scale), 0, highest));
    }

    /// <summary>The smallest and largest value (NaN if any is; 0 and 0 for no values).</summary>
    private static (float Min, float Max) Range(ReadOnlySpan<float> values)
        // TensorPrimitives propagates a NaN as MathF.Min/Max do, eight lanes at a time, where a
        // scalar loop was a sizeable share of a wide layer's call.
        => values.IsEmpty ? (0f, 0f) : (TensorPrimitives.Min(values), TensorPrimitives.Max(values));

    /// <summary><see cref="Range"/> of a view the host cannot read: the device reduces chunks, the host
    /// the chunks' ranges, which gives the same minimum and maximum (up to the sign of a zero, which
    /// the range's clamp at 0 makes no difference to).</summary>
    private static (float Min, float Max) DeviceRange(Accelerator accelerator, ArrayView<float> x)
    {
        if (x.Length == 0)
            return (0f, 0f);
        int parts = ActivationRangeKernel.Parts(x.Length);
        using var ranges = accelerator.Allocate<float>(2L * parts);
        accelerator.Launch(parts, new ActivationRangeKernel { X = x, Ranges = ranges.View });
        float[] host = ranges.ToArray();
        return (Range(host.AsSpan(0, parts)).Min, Range(host.AsSpan(parts)).Max);
    }
}
