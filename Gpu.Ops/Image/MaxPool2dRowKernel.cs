using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Image;

/// <summary>A max-pool window fixed by a type instead of run-time fields: in a kernel generic over
/// it the window's loops have constant trip counts, which the C compiler unrolls, so the loop that
/// holds them is innermost again and vectorises (docs/opencl-engine.md, section 8.2).</summary>
public interface IPoolWindow
{
    /// <summary>Rows of the window.</summary>
    int Height { get; }

    /// <summary>Columns of the window.</summary>
    int Width { get; }

    /// <summary>Rows between the windows of consecutive output rows.</summary>
    int StrideY { get; }

    /// <summary>Columns between the windows of consecutive output columns.</summary>
    int StrideX { get; }
}

/// <summary>2×2 windows at stride 2 (the usual halving pool).</summary>
public struct PoolWindow2x2Stride2 : IPoolWindow
{
    /// <inheritdoc/>
    public readonly int Height => 2;
    /// <inheritdoc/>
    public readonly int Width => 2;
    /// <inheritdoc/>
    public readonly int StrideY => 2;
    /// <inheritdoc/>
    public readonly int StrideX => 2;
}

/// <summary>2×2 windows at stride 2 down and 1 across (CRNN's pools that keep the text line's width).</summary>
public struct PoolWindow2x2Stride2x1 : IPoolWindow
{
    /// <inheritdoc/>
    public readonly int Height => 2;
    /// <inheritdoc/>
    public readonly int Width => 2;
    /// <inheritdoc/>
    public readonly int StrideY => 2;
    /// <inheritdoc/>
    public readonly int StrideX => 1;
}

/// <summary>3×3 windows at stride 1.</summary>
public struct PoolWindow3x3Stride1 : IPoolWindow
{
    /// <inheritdoc/>
    public readonly int Height => 3;
    /// <inheritdoc/>
    public readonly int Width => 3;
    /// <inheritdoc/>
    public readonly int StrideY => 1;
    /// <inheritdoc/>
    public readonly int StrideX => 1;
}

/// <summary><see cref="MaxPool2dKernel"/> for devices that run work items as loops on a host
/// processor (<see cref="KernelSchedules.PrefersBarrierFreeSchedule"/>): one work item per output
/// row of one plane, the window a type. Columns whose window lies inside the image run a loop without
/// bounds checks, which the C compiler vectorises along the row; the few border columns and every
/// border row read clamped coordinates instead of skipping taps.</summary>
/// <remarks>Clamping is exact for a max: every window overlaps the image (<see cref="MaxPool2dShape.Validate"/>),
/// so a coordinate clamped into the image lands on a pixel the window already holds. Work items per
/// output element with a window loop inside (<see cref="MaxPool2dKernel"/>) leave PoCL's loop over
/// items scalar, as its vectoriser takes only innermost loops.</remarks>
public struct MaxPool2dRowKernel<TWindow> : IKernel2D where TWindow : struct, IPoolWindow
{
    /// <summary>The input and output images.</summary>
    public ArrayView<float> Input, Output;
    /// <summary>Their strides.</summary>
    public ImageStrides InStrides, OutStrides;
    /// <summary>C, H, W and W'.</summary>
    public int Channels, Height, Width, OutWidth;
    /// <summary>Padding above and left of the image.</summary>
    public int PadTop, PadLeft;
    /// <summary>The output columns whose windows lie wholly inside the image: [<see cref="InteriorBegin"/>, <see cref="InteriorEnd"/>).</summary>
    public int InteriorBegin, InteriorEnd;
    /// <summary>The window.</summary>
    public TWindow Window;

    /// <summary>The kernel for <paramref name="shape"/>, launched over (H', N·C).</summary>
    /// <param name="shape">The geometry; its window must be <typeparamref name="TWindow"/>'s.</param>
    /// <param name="input">N·C·H·W elements in <paramref name="layout"/>.</param>
    /// <param name="output">N·C·H'·W' elements in <paramref name="layout"/>.</param>
    /// <param name="layout">NCHW or NHWC.</param>
    /// <returns>The kernel.</returns>
    /// <exception cref="ArgumentException">The shape's window or strides are not <typeparamref name="TWindow"/>'s, or the shape is invalid.</exception>
    public static MaxPool2dRowKernel<TWindow> For(MaxPool2dShape shape, ArrayView<float> input, ArrayView<float> output, TensorLayout layout)
    {
        // The clamped border taps are exact only for windows that overlap the image, which Validate ensures.
        shape.Validate();
        var window = default(TWindow);
        if ((shape.KernelHeight, shape.KernelWidth, shape.StrideY, shape.StrideX) != (window.Height, window.Width, window.StrideY, window.StrideX))
            throw new ArgumentException($"{typeof(TWindow).Name} cannot pool {shape}.", nameof(shape));
        // First column whose window starts inside the image, and one past the last that ends inside it.
        int begin = Math.Min((shape.Padding.Left + window.StrideX - 1) / window.StrideX, shape.OutWidth);
        int end = shape.Width + shape.Padding.Left < window.Width ? 0 : (shape.Width + shape.Padding.Left - window.Width) / window.StrideX + 1;
        return new MaxPool2dRowKernel<TWindow>
        {
            Input = input, Output = output, InStrides = ImageStrides.Of(layout, shape.Channels, shape.Height, shape.Width),
            OutStrides = ImageStrides.Of(layout, shape.Channels, shape.OutHeight, shape.OutWidth), Channels = shape.Channels,
            Height = shape.Height, Width = shape.Width, OutWidth = shape.OutWidth, PadTop = shape.Padding.Top, PadLeft = shape.Padding.Left,
            InteriorBegin = begin, InteriorEnd = Math.Clamp(end, begin, shape.OutWidth),
        };
    }

    /// <summary>Output row <paramref name="y"/> of plane <paramref name="z"/>.</summary>
    /// <param name="y">Output row.</param>
    /// <param name="z">n·C + c.</param>
    public void Execute(int y, int z)
    {
        int n = z / Channels, c = z - n * Channels;
        int plane = ImageStrides.OffsetOf(InStrides, n, c, 0, 0), outRow = ImageStrides.OffsetOf(OutStrides, n, c, y, 0);
        int top = y * Window.StrideY - PadTop;
        // Literal unit strides in NCHW let the compiler see consecutive (or, at stride 2, interleaved)
        // loads and stores along the row; with strides read from the fields it gathers.
        if (InStrides.Column == 1)
            PoolRow(plane, outRow, top, 1, 1);
        else
            PoolRow(plane, outRow, top, InStrides.Column, OutStrides.Column);
    }

    /// <remarks>Offsets along the row are 64-bit: a 32-bit offset that may wrap, widened at each access,
    /// hides from the C compiler that consecutive columns are consecutive addresses.</remarks>
    private readonly void PoolRow(int plane, int outRow, int top, int inColumn, int outColumn)
    {
        for (int x = 0; x < InteriorBegin; x++)
            Output[outRow + (long)x * outColumn] = WindowMax(plane, top, (long)x * Window.StrideX - PadLeft, inColumn, clampColumns: true);
        for (int x = InteriorBegin; x < InteriorEnd; x++)
            Output[outRow + (long)x * outColumn] = WindowMax(plane, top, (long)x * Window.StrideX - PadLeft, inColumn, clampColumns: false);
        for (int x = InteriorEnd; x < OutWidth; x++)
            Output[outRow + (long)x * outColumn] = WindowMax(plane, top, (long)x * Window.StrideX - PadLeft, inColumn, clampColumns: true);
    }

    /// <summary>The max over the window whose top-left tap is (<paramref name="top"/>, <paramref name="left"/>).</summary>
    private readonly float WindowMax(int plane, int top, long left, int inColumn, bool clampColumns)
    {
        float best = float.NegativeInfinity;
        for (int u = 0; u < Window.Height; u++)
        {
            long row = plane + (long)Math.Min(Math.Max(top + u, 0), Height - 1) * InStrides.Row;
            for (int v = 0; v < Window.Width; v++)
            {
                long column = clampColumns ? Math.Min(Math.Max(left + v, 0), Width - 1) : left + v;
                best = MaxPool2dKernel.Larger(best, Input[row + column * inColumn]);
            }
        }
        return best;
    }
}
