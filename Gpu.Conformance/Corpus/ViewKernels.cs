using Gpu.Core;

namespace Gpu.Conformance.Corpus;

// Views as kernels see them: Length, offsets of sub-views, 2D/3D strides and extents.

/// <summary>Reverses a view into another using Length; launched on sub-views at offsets.</summary>
internal struct ReverseKernel : IKernel1D
{
    public View<short> Input;
    public View<short> Output;

    public void Execute(int index) => Output[Output.Length - 1 - index] = (short)(Input[index] + Input.Length);
}

/// <summary>Transposes a strided matrix into another, reading the views' extents and strides.</summary>
internal struct TransposeKernel : IKernel2D
{
    public View2D<double> Input;
    public View2D<double> Output;

    public void Execute(int x, int y)
    {
        double value = Input[y, x];
        if (x == Input.Columns - 1 || y == Input.Rows - 1)
            value = -value - Input.RowStride;
        Output[x, y] = value;
    }
}

/// <summary>A 6-neighbour stencil on a volume with boundary checks on every side.</summary>
internal struct StencilKernel : IKernel3D
{
    public View3D<float> Input;
    public View3D<float> Output;

    public void Execute(int x, int y, int z)
    {
        float sum = 6f * Input[z, y, x];
        if (x > 0) sum -= Input[z, y, x - 1];
        if (x < Input.Columns - 1) sum -= Input[z, y, x + 1];
        if (y > 0) sum -= Input[z, y - 1, x];
        if (y < Input.Rows - 1) sum -= Input[z, y + 1, x];
        if (z > 0) sum -= Input[z - 1, y, x];
        if (z < Input.Depth - 1) sum -= Input[z + 1, y, x];
        Output[z, y, x] = sum;
    }
}

/// <summary>Reads through a view's underlying data and its 2D geometry fields: row sums of a matrix
/// whose rows are padded.</summary>
internal struct RowSumKernel : IKernel1D
{
    public View2D<long> Matrix;
    public View<long> Sums;

    public void Execute(int row)
    {
        long sum = 0;
        for (int column = 0; column < Matrix.Columns; column++)
            sum += Matrix[row, column];
        Sums[row] = sum + Matrix.Data[row * Matrix.RowStride + Matrix.Columns];
    }
}
