namespace Gpu.Core;

/// <summary>A depth × rows × columns volume over a <see cref="View{T}"/> with explicit strides.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct View3D<T> where T : unmanaged
{
    /// <summary>The underlying elements.</summary>
    public readonly View<T> Data;
    /// <summary>Number of slices.</summary>
    public readonly int Depth;
    /// <summary>Rows per slice.</summary>
    public readonly int Rows;
    /// <summary>Columns per row.</summary>
    public readonly int Columns;
    /// <summary>Elements between the starts of consecutive rows.</summary>
    public readonly int RowStride;
    /// <summary>Elements between the starts of consecutive slices.</summary>
    public readonly int SliceStride;

    /// <summary>Creates a volume view; the extent must fit inside <paramref name="data"/>.</summary>
    /// <param name="data">The underlying elements.</param>
    /// <param name="depth">Number of slices.</param>
    /// <param name="rows">Rows per slice.</param>
    /// <param name="columns">Columns per row.</param>
    /// <param name="rowStride">Elements between row starts, at least <paramref name="columns"/>.</param>
    /// <param name="sliceStride">Elements between slice starts.</param>
    /// <exception cref="ArgumentException">The extent does not fit in <paramref name="data"/>.</exception>
    public View3D(View<T> data, int depth, int rows, int columns, int rowStride, int sliceStride)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowStride, columns);
        long needed = depth == 0 || rows == 0 ? 0 : (long)(depth - 1) * sliceStride + (long)(rows - 1) * rowStride + columns;
        if (needed > data.Length)
            throw new ArgumentException($"A {depth}×{rows}×{columns} view needs {needed} elements; the view has {data.Length}.");
        Data = data;
        Depth = depth;
        Rows = rows;
        Columns = columns;
        RowStride = rowStride;
        SliceStride = sliceStride;
    }

    /// <summary>Reads or writes the element at (<paramref name="slice"/>, <paramref name="row"/>, <paramref name="column"/>); unchecked.</summary>
    /// <param name="slice">Slice index.</param>
    /// <param name="row">Row index.</param>
    /// <param name="column">Column index.</param>
    public T this[int slice, int row, int column]
    {
        get => Data[slice * SliceStride + row * RowStride + column];
        set => Data[slice * SliceStride + row * RowStride + column] = value;
    }
}
