namespace Gpu.Core;

/// <summary>A row-major matrix over a <see cref="View{T}"/> with an explicit row stride.</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct View2D<T> where T : unmanaged
{
    /// <summary>The underlying elements.</summary>
    public readonly View<T> Data;
    /// <summary>Number of rows.</summary>
    public readonly int Rows;
    /// <summary>Number of columns.</summary>
    public readonly int Columns;
    /// <summary>Elements between the starts of consecutive rows.</summary>
    public readonly int RowStride;

    /// <summary>Creates a matrix view; the extent must fit inside <paramref name="data"/>.</summary>
    /// <param name="data">The underlying elements.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="columns">Number of columns.</param>
    /// <param name="rowStride">Elements between row starts, at least <paramref name="columns"/>.</param>
    /// <exception cref="ArgumentException">The extent does not fit in <paramref name="data"/>.</exception>
    public View2D(View<T> data, int rows, int columns, int rowStride)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowStride, columns);
        long needed = rows == 0 ? 0 : (long)(rows - 1) * rowStride + columns;
        if (needed > data.Length)
            throw new ArgumentException($"A {rows}×{columns} view with row stride {rowStride} needs {needed} elements; the view has {data.Length}.");
        Data = data;
        Rows = rows;
        Columns = columns;
        RowStride = rowStride;
    }

    /// <summary>Reads or writes the element at (<paramref name="row"/>, <paramref name="column"/>); unchecked.</summary>
    /// <param name="row">Row index.</param>
    /// <param name="column">Column index.</param>
    public T this[int row, int column]
    {
        get => Data[row * RowStride + column];
        set => Data[row * RowStride + column] = value;
    }
}
