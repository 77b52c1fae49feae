using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Gpu.Models.Safetensors;

/// <summary>One tensor of a safetensors file: its type, shape and raw little-endian bytes.</summary>
/// <param name="Name">The tensor's key.</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The dimensions, outermost first (empty for a scalar).</param>
/// <param name="Data">The raw bytes, <c>product(Shape) × size</c> long.</param>
public sealed record SafetensorsTensor(string Name, SafetensorsDType DType, IReadOnlyList<long> Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, dimension) => product * dimension);

    /// <summary>The elements as <typeparamref name="T"/>, which must match <see cref="DType"/>.</summary>
    /// <typeparam name="T">The .NET element type.</typeparam>
    /// <returns>A copy of the elements.</returns>
    /// <exception cref="InvalidDataException">The tensor holds another element type.</exception>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (SafetensorsDTypes.Of<T>() != DType)
            throw new InvalidDataException($"Tensor '{Name}' holds {SafetensorsDTypes.Name(DType)}, not {typeof(T).Name}.");
        return MemoryMarshal.Cast<byte, T>(Data.Span).ToArray();
    }
}

/// <summary>Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON
/// header mapping names to dtype, shape and byte offsets, then the tensor bytes. Written here
/// because no .NET package for it is available; every structural rule of the format is checked,
/// so a malformed file is an <see cref="InvalidDataException"/> naming the problem.</summary>
public static class SafetensorsFile
{
    private const long MaxHeaderBytes = 100 << 20;

    /// <summary>Reads every tensor of a file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tensors by name, and the file's <c>__metadata__</c> strings.</returns>
    /// <exception cref="InvalidDataException">The file is not well-formed safetensors.</exception>
    public static (IReadOnlyDictionary<string, SafetensorsTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return Parse(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parses the bytes of a safetensors file.</summary>
    /// <param name="file">The whole file.</param>
    /// <returns>The tensors by name, and the <c>__metadata__</c> strings.</returns>
    /// <exception cref="InvalidDataException">The bytes are not well-formed safetensors.</exception>
    public static (IReadOnlyDictionary<string, SafetensorsTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Parse(ReadOnlyMemory<byte> file)
    {
        if (file.Length < 8)
            throw new InvalidDataException($"{file.Length} bytes is too short for a safetensors header.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file.Span);
        if (headerLength > MaxHeaderBytes || (long)headerLength > file.Length - 8)
            throw new InvalidDataException($"Header length {headerLength} does not fit in a file of {file.Length} bytes.");
        var data = file[(8 + (int)headerLength)..];
        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(file.Slice(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The header is not valid JSON: {e.Message}", e);
        }
        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException("The header is not a JSON object.");
            var tensors = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var ranges = new List<(long Begin, long End, string Name)>();
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    ReadMetadata(entry.Value, metadata);
                    continue;
                }
                var (tensor, begin, end) = ReadTensor(entry, data);
                tensors.Add(entry.Name, tensor);
                ranges.Add((begin, end, entry.Name));
            }
            CheckRangesTileTheData(ranges, data.Length);
            return (tensors, metadata);
        }
    }

    /// <summary>Writes tensors to <paramref name="path"/> atomically: a temporary file beside it,
    /// then a rename, so a failure never leaves a partial file.</summary>
    /// <param name="path">The destination.</param>
    /// <param name="tensors">The tensors, written in this order.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> strings.</param>
    public static void Write(string path, IEnumerable<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (metadata is { Count: > 0 })
            header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var tensor in list)
        {
            long expected = tensor.ElementCount * SafetensorsDTypes.SizeOf(tensor.DType);
            if (tensor.Data.Length != expected)
                throw new ArgumentException($"Tensor '{tensor.Name}' has {tensor.Data.Length} bytes; its shape and type need {expected}.", nameof(tensors));
            header[tensor.Name] = new { dtype = SafetensorsDTypes.Name(tensor.DType), shape = tensor.Shape, data_offsets = new[] { offset, offset + tensor.Data.Length } };
            offset += tensor.Data.Length;
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padding = (8 - json.Length % 8) % 8;
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(json.Length + padding));
                stream.Write(length);
                stream.Write(json);
                for (int i = 0; i < padding; i++)
                    stream.WriteByte((byte)' ');
                foreach (var tensor in list)
                    stream.Write(tensor.Data.Span);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>A tensor of <typeparamref name="T"/> elements for <see cref="Write"/>.</summary>
    /// <typeparam name="T">The .NET element type.</typeparam>
    /// <param name="name">The key.</param>
    /// <param name="values">The elements, row-major.</param>
    /// <param name="shape">The dimensions.</param>
    public static SafetensorsTensor Tensor<T>(string name, ReadOnlySpan<T> values, params long[] shape) where T : unmanaged
    {
        long count = shape.Aggregate(1L, (product, dimension) => product * dimension);
        if (count != values.Length)
            throw new ArgumentException($"Shape [{string.Join(", ", shape)}] holds {count} elements; {values.Length} were given.", nameof(shape));
        return new SafetensorsTensor(name, SafetensorsDTypes.Of<T>(), shape, MemoryMarshal.AsBytes(values).ToArray());
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("__metadata__ is not an object.");
        foreach (var item in element.EnumerateObject())
            metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String
                ? item.Value.GetString()!
                : throw new InvalidDataException($"__metadata__ value '{item.Name}' is not a string.");
    }

    private static (SafetensorsTensor Tensor, long Begin, long End) ReadTensor(JsonProperty entry, ReadOnlyMemory<byte> data)
    {
        var value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw new InvalidDataException($"Tensor '{entry.Name}' needs a string dtype, a shape array and two data_offsets.");
        if (!SafetensorsDTypes.TryParse(dtypeElement.GetString()!, out var dtype))
            throw new InvalidDataException($"Tensor '{entry.Name}' has unsupported dtype '{dtypeElement.GetString()}'.");
        var shape = new List<long>();
        foreach (var dimension in shapeElement.EnumerateArray())
            shape.Add(dimension.TryGetInt64(out long d) && d >= 0 ? d : throw new InvalidDataException($"Tensor '{entry.Name}' has a bad dimension {dimension}."));
        long begin = offsetsElement[0].TryGetInt64(out long b) ? b : -1;
        long end = offsetsElement[1].TryGetInt64(out long e) ? e : -1;
        if (begin < 0 || end < begin || end > data.Length)
            throw new InvalidDataException($"Tensor '{entry.Name}' has data_offsets [{begin}, {end}) outside the {data.Length} data bytes.");
        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (product, dimension) => checked(product * dimension)) * SafetensorsDTypes.SizeOf(dtype));
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"Tensor '{entry.Name}' has a shape too large to address.");
        }
        if (end - begin != expected)
            throw new InvalidDataException($"Tensor '{entry.Name}' spans {end - begin} bytes; shape [{string.Join(", ", shape)}] of {SafetensorsDTypes.Name(dtype)} needs {expected}.");
        return (new SafetensorsTensor(entry.Name, dtype, shape, data.Slice((int)begin, (int)(end - begin))), begin, end);
    }

    private static void CheckRangesTileTheData(List<(long Begin, long End, string Name)> ranges, long dataLength)
    {
        ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        long position = 0;
        foreach (var (begin, end, name) in ranges)
        {
            if (begin != position)
                throw new InvalidDataException(begin < position
                    ? $"Tensor '{name}' overlaps the tensor before it."
                    : $"There are {begin - position} unused bytes before tensor '{name}'.");
            position = end;
        }
        if (position != dataLength)
            throw new InvalidDataException($"{dataLength - position} bytes follow the last tensor.");
    }
}
