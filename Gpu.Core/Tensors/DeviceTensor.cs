namespace Gpu.Core;

/// <summary>A dense tensor on one accelerator: a shape, the strides its layout implies, and a
/// buffer that it owns.</summary>
/// <typeparam name="T">float, Half, sbyte, byte or int.</typeparam>
public sealed class DeviceTensor<T> : IDisposable where T : unmanaged
{
    private readonly int[] shape;
    private readonly long[] strides;

    private DeviceTensor(DeviceBuffer<T> buffer, int[] shape, TensorLayout layout)
    {
        Buffer = buffer;
        this.shape = shape;
        Layout = layout;
        strides = StridesOf(shape, layout);
    }

    /// <summary>The element type tag of <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not a tensor element type.</exception>
    public static TensorElementType ElementType => typeof(T) switch
    {
        var t when t == typeof(float) => TensorElementType.Float32,
        var t when t == typeof(Half) => TensorElementType.Float16,
        var t when t == typeof(sbyte) => TensorElementType.Int8,
        var t when t == typeof(byte) => TensorElementType.UInt8,
        var t when t == typeof(int) => TensorElementType.Int32,
        var t => throw new NotSupportedException($"Tensors hold float, Half, sbyte, byte or int, not {t.Name}."),
    };

    /// <summary>The dimensions, in logical order (NCHW for images, whatever the layout).</summary>
    public IReadOnlyList<int> Shape => shape;

    /// <summary>Elements to step over to advance each logical dimension by one.</summary>
    public IReadOnlyList<long> Strides => strides;

    /// <summary>How the dimensions lie in memory.</summary>
    public TensorLayout Layout { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => shape.Length;

    /// <summary>Number of elements.</summary>
    public long ElementCount => Buffer.Length;

    /// <summary>The elements, in memory order.</summary>
    public DeviceBuffer<T> Buffer { get; }

    /// <summary>The elements as an ILGPU view, what ops and kernels take.</summary>
    public ILGPU.ArrayView<T> View => Buffer.View;

    /// <summary>An uninitialised tensor.</summary>
    /// <param name="accelerator">Where it lives.</param>
    /// <param name="shape">The logical dimensions, each ≥ 0.</param>
    /// <param name="layout">The memory layout; <see cref="TensorLayout.Nhwc"/> needs 4 dimensions.</param>
    /// <returns>The tensor.</returns>
    public static DeviceTensor<T> Create(Accelerator accelerator, ReadOnlySpan<int> shape, TensorLayout layout = TensorLayout.RowMajor)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        var (dimensions, count) = Validate(shape, layout);
        return new DeviceTensor<T>(accelerator.Allocate<T>(count), dimensions, layout);
    }

    /// <summary>A tensor over an existing buffer, without a copy (e.g. one adopted from the caller's ILGPU
    /// code through <see cref="Ilgpu.IlgpuAccelerator.Adopt{T}"/>); the tensor takes the buffer over and disposes it.</summary>
    /// <param name="buffer">The elements, in memory order of <paramref name="layout"/>.</param>
    /// <param name="shape">The logical dimensions; their product is the buffer's length.</param>
    /// <param name="layout">The memory layout.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The shape does not hold exactly the buffer's elements.</exception>
    /// <exception cref="ObjectDisposedException">The buffer is disposed.</exception>
    public static DeviceTensor<T> Over(DeviceBuffer<T> buffer, ReadOnlySpan<int> shape, TensorLayout layout = TensorLayout.RowMajor)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ObjectDisposedException.ThrowIf(buffer.IsDisposed, buffer);
        var (dimensions, count) = Validate(shape, layout);
        if (count != buffer.Length)
            throw new ArgumentException($"Shape [{string.Join(", ", dimensions)}] holds {count} elements; the buffer has {buffer.Length}.", nameof(shape));
        return new DeviceTensor<T>(buffer, dimensions, layout);
    }

    /// <summary>A tensor holding a copy of host data given in memory order of <paramref name="layout"/>.</summary>
    /// <param name="accelerator">Where it lives.</param>
    /// <param name="data">The elements, in memory order.</param>
    /// <param name="shape">The logical dimensions.</param>
    /// <param name="layout">The memory layout of <paramref name="data"/>.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public static DeviceTensor<T> FromHost(Accelerator accelerator, ReadOnlySpan<T> data, ReadOnlySpan<int> shape, TensorLayout layout = TensorLayout.RowMajor)
    {
        var tensor = Create(accelerator, shape, layout);
        if (data.Length != tensor.ElementCount)
        {
            tensor.Dispose();
            throw new ArgumentException($"Shape [{string.Join(", ", shape.ToArray())}] holds {tensor.ElementCount} elements; {data.Length} were given.", nameof(data));
        }
        tensor.Buffer.CopyFromHost(data);
        return tensor;
    }

    /// <summary>The elements in memory order, copied to the host.</summary>
    /// <returns>A new array.</returns>
    public T[] ToArray() => Buffer.ToArray();

    /// <summary>Copies the elements in memory order to <paramref name="destination"/>.</summary>
    /// <param name="destination">Exactly <see cref="ElementCount"/> elements.</param>
    /// <exception cref="ArgumentException">The destination has another length.</exception>
    public void CopyToHost(Span<T> destination)
    {
        if (destination.Length != ElementCount)
            throw new ArgumentException($"The tensor has {ElementCount} elements; the destination {destination.Length}.", nameof(destination));
        Buffer.CopyToHost(destination);
    }

    /// <summary>Memory offset of the element at a logical index.</summary>
    /// <param name="index">One index per dimension.</param>
    public long OffsetOf(params ReadOnlySpan<int> index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"A rank-{Rank} tensor needs {Rank} indices, not {index.Length}.", nameof(index));
        long offset = 0;
        for (int d = 0; d < Rank; d++)
        {
            if ((uint)index[d] >= (uint)shape[d])
                throw new ArgumentOutOfRangeException(nameof(index), $"Index {index[d]} is outside dimension {d} of size {shape[d]}.");
            offset += index[d] * strides[d];
        }
        return offset;
    }

    /// <summary>Frees the buffer.</summary>
    public void Dispose() => Buffer.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"{ElementType}[{string.Join(", ", shape)}] {Layout} on {Buffer.Accelerator.Device.Name}";

    /// <summary>Checks the element type, the shape and the layout; returns the dimensions and their element count.</summary>
    private static (int[] Dimensions, long Count) Validate(ReadOnlySpan<int> shape, TensorLayout layout)
    {
        _ = ElementType;
        int[] dimensions = shape.ToArray();
        foreach (int dimension in dimensions)
            ArgumentOutOfRangeException.ThrowIfNegative(dimension, nameof(shape));
        if (layout == TensorLayout.Nhwc && dimensions.Length != 4)
            throw new ArgumentException($"The NHWC layout needs a 4D shape, not [{string.Join(", ", dimensions)}].", nameof(shape));
        return (dimensions, dimensions.Aggregate(1L, (product, d) => checked(product * d)));
    }

    private static long[] StridesOf(int[] shape, TensorLayout layout)
    {
        // Memory order of the logical dimensions, innermost last.
        int[] order = layout == TensorLayout.Nhwc ? [0, 2, 3, 1] : [.. Enumerable.Range(0, shape.Length)];
        var result = new long[shape.Length];
        long stride = 1;
        for (int i = order.Length - 1; i >= 0; i--)
        {
            result[order[i]] = stride;
            stride *= shape[order[i]];
        }
        return result;
    }
}
