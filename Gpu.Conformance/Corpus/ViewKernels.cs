using Gpu.Core;
using ILGPU;
using ILGPU.Runtime;

namespace Gpu.Conformance.Corpus;

// Views as kernels see them: Length, offsets of sub-views, 2D/3D strides and extents. ILGPU's 2D/3D views
// index [x, y(, z)], x the column: a row-major matrix with padded rows is an ArrayView2D<T, Stride2D.DenseX>
// whose YStride is the row stride.

/// <summary>Reverses a view into another using Length; launched on sub-views at offsets.</summary>
internal struct ReverseKernel : IKernel1D
{
    public ArrayView<short> Input;
    public ArrayView<short> Output;

    public void Execute(int index) => Output[Output.Length - 1 - index] = (short)(Input[index] + Input.IntLength);
}

/// <summary>Transposes a strided matrix into another, reading the views' extents and strides.</summary>
internal struct TransposeKernel : IKernel2D
{
    public ArrayView2D<double, Stride2D.DenseX> Input;
    public ArrayView2D<double, Stride2D.DenseX> Output;

    public void Execute(int x, int y)
    {
        double value = Input[x, y];
        if (x == Input.IntExtent.X - 1 || y == Input.IntExtent.Y - 1)
            value = -value - Input.Stride.YStride;
        Output[y, x] = value;
    }
}

/// <summary>A 6-neighbour stencil on a volume with boundary checks on every side.</summary>
internal struct StencilKernel : IKernel3D
{
    public ArrayView3D<float, Stride3D.DenseXY> Input;
    public ArrayView3D<float, Stride3D.DenseXY> Output;

    public void Execute(int x, int y, int z)
    {
        float sum = 6f * Input[x, y, z];
        if (x > 0) sum -= Input[x - 1, y, z];
        if (x < Input.IntExtent.X - 1) sum -= Input[x + 1, y, z];
        if (y > 0) sum -= Input[x, y - 1, z];
        if (y < Input.IntExtent.Y - 1) sum -= Input[x, y + 1, z];
        if (z > 0) sum -= Input[x, y, z - 1];
        if (z < Input.IntExtent.Z - 1) sum -= Input[x, y, z + 1];
        Output[x, y, z] = sum;
    }
}

/// <summary>Reads through a view's underlying data and its 2D geometry fields: row sums of a matrix
/// whose rows are padded.</summary>
internal struct RowSumKernel : IKernel1D
{
    public ArrayView2D<long, Stride2D.DenseX> Matrix;
    public ArrayView<long> Sums;

    public void Execute(int row)
    {
        long sum = 0;
        for (int column = 0; column < Matrix.IntExtent.X; column++)
            sum += Matrix[column, row];
        Sums[row] = sum + Matrix.BaseView[row * Matrix.Stride.YStride + Matrix.IntExtent.X];
    }
}
