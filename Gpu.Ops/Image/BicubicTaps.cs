namespace Gpu.Ops.Image;

/// <summary>The four source offsets and weights of every output position along one axis of a
/// bicubic resize, computed once per call on the host, so the separable passes (the CPU path's and
/// <see cref="BicubicResizeSeparable"/>'s kernels) need no floor and no weight arithmetic per output.
/// Tap-major: tap k of entry o sits at [k·<see cref="Count"/> + o], so a kernel with one work item
/// per entry reads each tap's table at consecutive addresses.</summary>
/// <remarks>Positions, clamping and weights are <see cref="BicubicResizeKernel"/>'s, computed by the
/// same float expressions, so a pass that adds the same products in the same order gives its floats.</remarks>
internal sealed class BicubicTaps
{
    /// <summary>Tap k of entry o at [k·<see cref="Count"/> + o]: its source position, clamped to the
    /// image, times the stride, plus the entry's lane.</summary>
    public readonly int[] Offset;

    /// <summary>Keys' weight of each tap, laid out as <see cref="Offset"/>.</summary>
    public readonly float[] Weight;

    /// <summary>Entries per tap: output positions times lanes.</summary>
    public readonly int Count;

    /// <summary>The taps of <paramref name="outSize"/> output positions over <paramref name="inSize"/> source positions.</summary>
    /// <param name="scale">in/out along the axis, in float as PyTorch computes it.</param>
    /// <param name="outSize">Output positions.</param>
    /// <param name="inSize">Source positions.</param>
    /// <param name="stride">Elements between consecutive source positions.</param>
    /// <param name="lanes">Entries per output position, lane l reading element l of its source
    /// position (the channels of an NHWC pixel for a kernel with one work item per element); 1 for one entry per position.</param>
    public BicubicTaps(float scale, int outSize, int inSize, int stride, int lanes)
    {
        Count = checked(outSize * lanes);
        Offset = new int[4 * Count];
        Weight = new float[4 * Count];
        for (int o = 0; o < outSize; o++)
        {
            float source = BicubicResize.SourceOf(scale, o), floor = MathF.Floor(source);
            for (int k = 0; k < 4; k++)
            {
                int offset = Math.Clamp((int)floor - 1 + k, 0, inSize - 1) * stride;
                float weight = BicubicResizeKernel.Weight(source - floor, k);
                for (int lane = 0; lane < lanes; lane++)
                {
                    Offset[k * Count + o * lanes + lane] = offset + lane;
                    Weight[k * Count + o * lanes + lane] = weight;
                }
            }
        }
    }
}
