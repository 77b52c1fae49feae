using System.Runtime.InteropServices;
using Gpu.Core;

namespace Gpu.Ops.Gemm.Quantized;

/// <summary>An int8 weight W (Rows × Columns) with one symmetric scale per output row:
/// <c>w[i, k] ≈ Scales[i] · Values[i, k]</c>, values in [−127, 127]. Also holds each row's sum of
/// values, which turns the zero point of asymmetric activations into one subtraction per output.</summary>
public sealed class QuantizedWeights : IDisposable
{
    private QuantizedWeights(Accelerator accelerator, int rows, int columns, sbyte[] values, float[] scales)
    {
        Rows = rows;
        Columns = columns;
        Values = accelerator.Allocate<sbyte>(values);
        Scales = accelerator.Allocate<float>(scales);
        var rowSums = new int[rows];
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < columns; k++)
                rowSums[i] += values[i * columns + k];
        RowSums = accelerator.Allocate<int>(rowSums);
        // Only the packed Dot4 kernels read the packed copy, and the CPU accelerator runs its SIMD
        // paths instead: packing on first use keeps a CPU layer at one byte per weight.
        packedValues = new Lazy<DeviceBuffer<int>>(() => accelerator.Allocate<int>(Pack(Values.ToArray(), Rows, Columns)));
        panels = new Lazy<DeviceBuffer<sbyte>>(() => accelerator.Allocate<sbyte>(Panel(Values.ToArray(), Rows, Columns)));
    }

    private readonly Lazy<DeviceBuffer<int>> packedValues;
    private readonly Lazy<DeviceBuffer<sbyte>> panels;

    /// <summary>Rows of W (output channels).</summary>
    public int Rows { get; }
    /// <summary>Columns of W.</summary>
    public int Columns { get; }
    /// <summary>The int8 values, row-major.</summary>
    public DeviceBuffer<sbyte> Values { get; }
    /// <summary>One scale per row.</summary>
    public DeviceBuffer<float> Scales { get; }
    /// <summary>Σ_k Values[i, k] per row.</summary>
    public DeviceBuffer<int> RowSums { get; }
    /// <summary>The values four to an int for <see cref="PackedInt8.Dot4"/>: Rows × <see cref="PackedColumns"/>,
    /// value k of a row in byte k % 4 of int k / 4, the last int of a row padded with zeros.
    /// Allocated on first use.</summary>
    public DeviceBuffer<int> PackedValues => packedValues.Value;
    /// <summary>The values in panels of <see cref="QuantizedPanelOperands.Rows"/> rows for the kernels of OpenCL
    /// runtimes on a host CPU: panel p holds, for each k in turn, Values[16p + r, k] for r = 0…15, the last
    /// panel padded with zero rows. Allocated on first use.</summary>
    internal DeviceBuffer<sbyte> Panels => panels.Value;

    /// <summary>Ints per row of <see cref="PackedValues"/>: Columns / 4 rounded up.</summary>
    public int PackedColumns => PackedLength(Columns);

    /// <summary>Ints that hold <paramref name="bytes"/> bytes four to an int.</summary>
    /// <param name="bytes">Bytes of a row.</param>
    /// <returns>bytes / 4 rounded up.</returns>
    public static int PackedLength(int bytes) => (bytes + 3) / 4;

    /// <summary>Quantizes a float weight per output row: scale = max|w| / 127, q = round(w / scale).</summary>
    /// <param name="accelerator">Where the weight lives.</param>
    /// <param name="dense">W, rows × columns, row-major.</param>
    /// <param name="rows">Rows of W.</param>
    /// <param name="columns">Columns of W.</param>
    /// <returns>The quantized weight.</returns>
    /// <exception cref="ArgumentException">The length does not match the shape.</exception>
    public static QuantizedWeights Quantize(Accelerator accelerator, ReadOnlySpan<float> dense, int rows, int columns)
    {
        CheckShape(dense.Length, rows, columns);
        var values = new sbyte[dense.Length];
        var scales = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            var row = dense.Slice(i * columns, columns);
            float largest = 0f;
            foreach (float w in row)
                largest = MathF.Max(largest, MathF.Abs(w));
            // An all-zero row quantizes to zeros under any scale; 1 keeps the division finite.
            float scale = largest > 0f ? largest / 127f : 1f;
            scales[i] = scale;
            for (int k = 0; k < columns; k++)
                values[i * columns + k] = (sbyte)Math.Clamp(MathF.Round(row[k] / scale), -127f, 127f);
        }
        return new QuantizedWeights(accelerator, rows, columns, values, scales);
    }

    /// <summary>Wraps already quantized values and their per-row scales.</summary>
    /// <param name="accelerator">Where the weight lives.</param>
    /// <param name="values">Rows × columns int8 values in [−127, 127].</param>
    /// <param name="scales">One scale per row.</param>
    /// <param name="rows">Rows of W.</param>
    /// <param name="columns">Columns of W.</param>
    /// <returns>The quantized weight.</returns>
    /// <exception cref="ArgumentException">A length does not match, or a value is −128.</exception>
    public static QuantizedWeights FromQuantized(Accelerator accelerator, ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, int rows, int columns)
    {
        CheckShape(values.Length, rows, columns);
        if (scales.Length != rows)
            throw new ArgumentException($"{scales.Length} scales given; the weight has {rows} rows.", nameof(scales));
        if (values.Contains(sbyte.MinValue))
            throw new ArgumentException("Symmetric int8 weights lie in [−127, 127]; −128 is not allowed.", nameof(values));
        return new QuantizedWeights(accelerator, rows, columns, values.ToArray(), scales.ToArray());
    }

    private static int[] Pack(sbyte[] values, int rows, int columns)
    {
        int words = PackedLength(columns);
        var packed = new int[rows * words];
        // Little-endian ints (hosts and devices alike) put value k of a row in byte k % 4 of int
        // k / 4, as Dot4 numbers the bytes; the zero padding adds nothing to a dot product.
        for (int i = 0; i < rows; i++)
            MemoryMarshal.AsBytes(values.AsSpan(i * columns, columns)).CopyTo(MemoryMarshal.AsBytes(packed.AsSpan(i * words, words)));
        return packed;
    }

    private static sbyte[] Panel(sbyte[] values, int rows, int columns)
    {
        const int height = QuantizedPanelOperands.Rows;
        var panelled = new sbyte[(long)QuantizedPanelOperands.RowBlocks(rows) * columns * height];
        for (int i = 0; i < rows; i++)
        {
            long panelStart = (long)(i / height) * columns * height + i % height;
            for (int k = 0; k < columns; k++)
                panelled[panelStart + (long)k * height] = values[(long)i * columns + k];
        }
        return panelled;
    }

    private static void CheckShape(int length, int rows, int columns)
    {
        if (rows <= 0 || columns <= 0 || length != (long)rows * columns)
            throw new ArgumentException($"A {rows}×{columns} weight needs {(long)rows * columns} values and positive dimensions; got {length}.");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Values.Dispose();
        Scales.Dispose();
        RowSums.Dispose();
        if (packedValues.IsValueCreated)
            packedValues.Value.Dispose();
        if (panels.IsValueCreated)
            panels.Value.Dispose();
    }
}
