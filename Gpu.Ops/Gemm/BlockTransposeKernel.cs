using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm;

/// <summary>Transposes a row-major matrix one 16×16 tile per work item: the tile's 16 source rows
/// and 16 destination rows stay in cache and in the TLB while it is copied, where one item per
/// element writes each element a whole row apart from the last. Used to turn a linear layer's N×K
/// weight into the K×N B that <see cref="RegisterBlockedGemmKernel"/> reads as vectors.</summary>
public struct BlockTransposeKernel : IKernel2D
{
    /// <summary>Rows and columns per tile.</summary>
    public const int Tile = 16;

    /// <summary>The matrix, <see cref="Rows"/>×<see cref="Columns"/>.</summary>
    public ArrayView<float> Source;
    /// <summary>Its transpose, <see cref="Columns"/>×<see cref="Rows"/>.</summary>
    public ArrayView<float> Destination;
    /// <summary>Rows of the source.</summary>
    public int Rows;
    /// <summary>Columns of the source.</summary>
    public int Columns;

    /// <summary>The kernel transposing <paramref name="source"/>, <paramref name="rows"/>×<paramref name="columns"/>, into <paramref name="destination"/>.</summary>
    /// <returns>The kernel, to launch over <c>⌈columns/16⌉ × ⌈rows/16⌉</c> items.</returns>
    public static BlockTransposeKernel For(ArrayView<float> source, ArrayView<float> destination, int rows, int columns) => new()
    {
        Source = source, Destination = destination, Rows = rows, Columns = columns,
    };

    /// <summary>Tiles across <paramref name="count"/> rows or columns.</summary>
    public static int Tiles(int count) => (count + Tile - 1) / Tile;

    /// <summary>Copies the tile at tile column <paramref name="x"/>, tile row <paramref name="y"/>.</summary>
    public void Execute(int x, int y)
    {
        int row0 = y * Tile, column0 = x * Tile;
        int rowEnd = Math.Min(row0 + Tile, Rows), columnEnd = Math.Min(column0 + Tile, Columns);
        for (int column = column0; column < columnEnd; column++)
            for (int row = row0; row < rowEnd; row++)
                Destination[(long)column * Rows + row] = Source[(long)row * Columns + column];
    }
}
