using Gpu.Core;

namespace Gpu.Ops.Image;

/// <summary>Element strides of a 4D image tensor in logical (N, C, H, W) order, so one kernel
/// reads NCHW and NHWC alike. A plain struct that kernels carry as a field.</summary>
public struct ImageStrides
{
    /// <summary>Elements between images.</summary>
    public int Batch;
    /// <summary>Elements between channels.</summary>
    public int Channel;
    /// <summary>Elements between rows.</summary>
    public int Row;
    /// <summary>Elements between columns.</summary>
    public int Column;

    /// <summary>The strides of a dense (N, C, H, W) tensor in <paramref name="layout"/>.</summary>
    /// <param name="layout"><see cref="TensorLayout.RowMajor"/> (NCHW) or <see cref="TensorLayout.Nhwc"/>.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <returns>The strides.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An unknown layout.</exception>
    public static ImageStrides Of(TensorLayout layout, int channels, int height, int width) => layout switch
    {
        TensorLayout.RowMajor => new ImageStrides { Batch = checked(channels * height * width), Channel = height * width, Row = width, Column = 1 },
        TensorLayout.Nhwc => new ImageStrides { Batch = checked(channels * height * width), Channel = 1, Row = width * channels, Column = channels },
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "Images are NCHW (RowMajor) or NHWC."),
    };

    /// <summary>The offset of element (n, c, y, x).</summary>
    /// <param name="strides">The strides.</param>
    /// <param name="n">Image.</param>
    /// <param name="c">Channel.</param>
    /// <param name="y">Row.</param>
    /// <param name="x">Column.</param>
    /// <returns>The element offset.</returns>
    public static int OffsetOf(ImageStrides strides, int n, int c, int y, int x)
        => n * strides.Batch + c * strides.Channel + y * strides.Row + x * strides.Column;
}
