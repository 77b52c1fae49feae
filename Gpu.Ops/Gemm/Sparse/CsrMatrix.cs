using Gpu.Core;
using ILGPU;

namespace Gpu.Ops.Gemm.Sparse;

/// <summary>A pruned weight matrix W (Rows × Columns) in compressed sparse rows, resident on one
/// accelerator: row i's non-zeros are <c>Values[RowPointers[i] .. RowPointers[i + 1])</c> at
/// columns <c>ColumnIndices[..]</c>, ascending. The kernels index X and the values through this
/// structure unchecked, so it is checked on the host when built and, once
/// <see cref="RowPointers"/> or <see cref="ColumnIndices"/> has been handed out (writable), again
/// before every product.</summary>
public sealed class CsrMatrix : IDisposable
{
    private readonly DeviceBuffer<int> rowPointers, columnIndices;
    private bool structureHandedOut;

    private CsrMatrix(Accelerator accelerator, int rows, int columns, int[] rowPointers, int[] columnIndices, float[] values)
    {
        SparseShape.CheckStructure(nameof(CsrMatrix), rowPointers, nameof(RowPointers), columnIndices, nameof(ColumnIndices), rows, columns, values.Length, 1);
        Rows = rows;
        Columns = columns;
        NonZeros = values.Length;
        this.rowPointers = accelerator.Allocate<int>(rowPointers);
        // Zero-length buffers still get one element so every view stays valid to pass to a kernel.
        this.columnIndices = accelerator.Allocate<int>(columnIndices.Length == 0 ? [0] : columnIndices);
        Values = accelerator.Allocate<float>(values.Length == 0 ? [0f] : values);
    }

    /// <summary>Rows of W (outputs).</summary>
    public int Rows { get; }
    /// <summary>Columns of W (inputs, the reduced dimension).</summary>
    public int Columns { get; }
    /// <summary>Stored non-zeros.</summary>
    public int NonZeros { get; }
    /// <summary>Rows + 1 offsets into <see cref="Values"/>. Handing it out makes every later product
    /// re-check the structure (a copy to the host of O(rows + non-zeros)), since it may have been written.</summary>
    public DeviceBuffer<int> RowPointers
    {
        get
        {
            structureHandedOut = true;
            return rowPointers;
        }
    }

    /// <summary>The column of each stored value; handing it out has the cost of <see cref="RowPointers"/>'.</summary>
    public DeviceBuffer<int> ColumnIndices
    {
        get
        {
            structureHandedOut = true;
            return columnIndices;
        }
    }

    /// <summary>The structure buffers for the products, checked first when they were handed out.</summary>
    /// <exception cref="ArgumentException">A row pointer or column index is out of range or the pointers decrease.</exception>
    internal (ArrayView<int> RowPointers, ArrayView<int> ColumnIndices) CheckedStructure()
    {
        if (structureHandedOut)
            SparseShape.CheckStructure(nameof(CsrMatrix), rowPointers.ToArray(), nameof(RowPointers), columnIndices.ToArray(), nameof(ColumnIndices), Rows, Columns, NonZeros, 1);
        return (rowPointers.View, columnIndices.View);
    }
    /// <summary>The stored values.</summary>
    public DeviceBuffer<float> Values { get; }

    /// <summary>Fraction of W's elements not stored.</summary>
    public double Sparsity => 1.0 - (double)NonZeros / ((long)Rows * Columns);

    /// <summary>Keeps the elements of a dense row-major W whose mask entry is true.</summary>
    /// <param name="accelerator">Where the matrix lives.</param>
    /// <param name="dense">W, rows × columns, row-major.</param>
    /// <param name="rows">Rows of W.</param>
    /// <param name="columns">Columns of W.</param>
    /// <param name="keep">One flag per element: true keeps it.</param>
    /// <returns>The sparse matrix.</returns>
    /// <exception cref="ArgumentException">A length does not match the shape.</exception>
    public static CsrMatrix FromDense(Accelerator accelerator, ReadOnlySpan<float> dense, int rows, int columns, ReadOnlySpan<bool> keep)
    {
        SparseShape.Check(dense.Length, rows, columns);
        if (keep.Length != dense.Length)
            throw new ArgumentException($"The mask holds {keep.Length} flags; W has {dense.Length} elements.", nameof(keep));
        var rowPointers = new int[rows + 1];
        var columnIndices = new List<int>();
        var values = new List<float>();
        for (int i = 0; i < rows; i++)
        {
            for (int k = 0; k < columns; k++)
            {
                if (keep[i * columns + k])
                {
                    columnIndices.Add(k);
                    values.Add(dense[i * columns + k]);
                }
            }
            rowPointers[i + 1] = values.Count;
        }
        return new CsrMatrix(accelerator, rows, columns, rowPointers, [.. columnIndices], [.. values]);
    }

    /// <summary>Wraps a structure already in CSR form (a pruned model's stored non-zeros), checked as
    /// every matrix is: pointers from 0 to the non-zeros, never decreasing, columns inside W.</summary>
    /// <param name="accelerator">Where the matrix lives.</param>
    /// <param name="rows">Rows of W.</param>
    /// <param name="columns">Columns of W.</param>
    /// <param name="rowPointers">Rows + 1 offsets into the values.</param>
    /// <param name="columnIndices">The column of each value.</param>
    /// <param name="values">The non-zeros, row by row.</param>
    /// <returns>The sparse matrix.</returns>
    /// <exception cref="ArgumentException">The structure is out of range or the lengths disagree.</exception>
    public static CsrMatrix FromRows(Accelerator accelerator, int rows, int columns, int[] rowPointers, int[] columnIndices, float[] values)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (rows <= 0 || columns <= 0)
            throw new ArgumentException($"A sparse matrix needs positive dimensions, got {rows}×{columns}.");
        if (columnIndices.Length != values.Length)
            throw new ArgumentException($"{columnIndices.Length} column indices for {values.Length} values.", nameof(columnIndices));
        return new CsrMatrix(accelerator, rows, columns, rowPointers, columnIndices, values);
    }

    /// <summary>Magnitude pruning: keeps the elements with |w| &gt; <paramref name="threshold"/>.</summary>
    /// <param name="accelerator">Where the matrix lives.</param>
    /// <param name="dense">W, rows × columns, row-major.</param>
    /// <param name="rows">Rows of W.</param>
    /// <param name="columns">Columns of W.</param>
    /// <param name="threshold">Elements of magnitude at most this are dropped.</param>
    /// <returns>The sparse matrix.</returns>
    public static CsrMatrix FromDense(Accelerator accelerator, ReadOnlySpan<float> dense, int rows, int columns, float threshold)
        => FromDense(accelerator, dense, rows, columns, SparseShape.MagnitudeMask(dense, threshold));

    /// <inheritdoc/>
    public void Dispose()
    {
        rowPointers.Dispose();
        columnIndices.Dispose();
        Values.Dispose();
    }
}

/// <summary>Checks shared by the sparse formats.</summary>
internal static class SparseShape
{
    public static void Check(int length, int rows, int columns)
    {
        if (rows <= 0 || columns <= 0)
            throw new ArgumentException($"A sparse matrix needs positive dimensions, got {rows}×{columns}.");
        if (length != (long)rows * columns)
            throw new ArgumentException($"The dense matrix holds {length} elements; {rows}×{columns} needs {(long)rows * columns}.");
    }

    public static bool[] MagnitudeMask(ReadOnlySpan<float> dense, float threshold)
    {
        var keep = new bool[dense.Length];
        for (int i = 0; i < dense.Length; i++)
            keep[i] = MathF.Abs(dense[i]) > threshold;
        return keep;
    }

    /// <summary>Throws unless <paramref name="pointers"/> (rows + 1 of them) start at 0, never decrease
    /// and end at <paramref name="count"/>, and the first <paramref name="count"/> indices lie in
    /// [0, columns) on multiples of <paramref name="step"/>: what the kernels assume when they index.</summary>
    public static void CheckStructure(string matrix, ReadOnlySpan<int> pointers, string pointersName, ReadOnlySpan<int> indices, string indicesName,
        int rows, int columns, int count, int step)
    {
        if (pointers.Length != rows + 1 || pointers[0] != 0 || pointers[rows] != count)
            throw new ArgumentException($"{matrix}.{pointersName} must hold rows + 1 = {rows + 1} offsets from 0 to the {count} stored entries; it holds {pointers.Length}, from {pointers[0]} to {pointers[^1]}.", "weights");
        for (int i = 0; i < rows; i++)
            if (pointers[i + 1] < pointers[i])
                throw new ArgumentException($"{matrix}.{pointersName} must not decrease: [{i}] = {pointers[i]} > [{i + 1}] = {pointers[i + 1]}.", "weights");
        if (indices.Length < count)
            throw new ArgumentException($"{matrix}.{indicesName} holds {indices.Length} entries for {count} stored ones.", "weights");
        for (int k = 0; k < count; k++)
            if ((uint)indices[k] >= (uint)columns || indices[k] % step != 0)
                throw new ArgumentException($"{matrix}.{indicesName}[{k}] = {indices[k]} is not a column in [0, {columns}){(step > 1 ? $" on a multiple of {step}" : "")}.", "weights");
    }

    /// <summary>Throws unless a per-row scale holds one factor per row of W or none.</summary>
    public static void CheckScale(int rows, long scaleLength)
    {
        if (scaleLength != 0 && scaleLength != rows)
            throw new ArgumentException($"The scale holds {scaleLength} elements; it must hold one per row of W ({rows}) or none.");
    }

    /// <summary>Throws unless X (K×N) and Y (M×N) fit a product with a Rows × Columns weight.</summary>
    public static void CheckOperands(int rows, int columns, int n, long xLength, long yLength, long biasLength)
    {
        if (n <= 0)
            throw new ArgumentException($"The product needs a positive number of columns, got N={n}.");
        if (xLength != (long)columns * n)
            throw new ArgumentException($"X holds {xLength} elements; a {rows}×{columns} weight times N={n} columns needs {(long)columns * n}.");
        if (yLength != (long)rows * n)
            throw new ArgumentException($"Y holds {yLength} elements; a {rows}×{columns} weight times N={n} columns needs {(long)rows * n}.");
        if (biasLength != 0 && biasLength != rows)
            throw new ArgumentException($"The bias holds {biasLength} elements; it must hold one per row of W ({rows}) or none.");
    }
}
