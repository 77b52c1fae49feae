using Gpu.Core;
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

    /// <summary>The elements as float32: F32 as stored, F16 and BF16 widened exactly.</summary>
    /// <returns>A new array.</returns>
    /// <exception cref="InvalidDataException">The tensor is not F32, F16 or BF16.</exception>
    public float[] ToFloat32()
    {
        switch (DType)
        {
            case SafetensorsDType.F32:
                return ToArray<float>();
            case SafetensorsDType.F16:
            {
                var halves = MemoryMarshal.Cast<byte, Half>(Data.Span);
                var result = new float[halves.Length];
                for (int i = 0; i < result.Length; i++)
                    result[i] = (float)halves[i];
                return result;
            }
            case SafetensorsDType.BF16:
            {
                // bfloat16 is the upper half of a float32's bits.
                var words = MemoryMarshal.Cast<byte, ushort>(Data.Span);
                var result = new float[words.Length];
                for (int i = 0; i < result.Length; i++)
                    result[i] = BitConverter.Int32BitsToSingle(words[i] << 16);
                return result;
            }
            default:
                throw new InvalidDataException($"Tensor '{Name}' holds {SafetensorsDTypes.Name(DType)}; a float tensor (F32, F16 or BF16) is needed.");
        }
    }
}

/// <summary>Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON
/// header mapping names to dtype, shape and byte offsets, then the tensor bytes. Written here
/// because no .NET package for it is available; every structural rule of the format is checked,
/// so a malformed file is an <see cref="InvalidDataException"/> naming the problem.</summary>
public static class SafetensorsFile
{
    private const long MaxHeaderBytes = 100 << 20;

    /// <summary>Reads every tensor of a file into memory (see <see cref="Open"/> to map it instead).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tensors by name, and the file's <c>__metadata__</c> strings.</returns>
    /// <exception cref="InvalidDataException">The file is not well-formed safetensors.</exception>
    public static (IReadOnlyDictionary<string, SafetensorsTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        using var archive = Open(path);
        var copies = archive.Tensors.Values.ToDictionary(t => t.Name, t => t with { Data = t.Data.ToArray() }, StringComparer.Ordinal);
        return (copies, archive.Metadata);
    }

    /// <summary>Maps a file into memory and validates its header; tensor data is read from the
    /// mapping on demand, so files larger than memory or than 2 GiB open without copying.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The open file; its tensors stay readable until it is disposed.</returns>
    /// <exception cref="InvalidDataException">The file is not well-formed safetensors.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SafetensorsArchive Open(string path)
    {
        var mapping = MappedFile.Open(path);
        try
        {
            var (tensors, metadata) = ParseWith(mapping.Length, mapping.ReadHeader, mapping.Slice);
            return new SafetensorsArchive(path, tensors, metadata, mapping);
        }
        catch (InvalidDataException e)
        {
            mapping.Dispose();
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
    }

    /// <summary>Parses the bytes of a safetensors file.</summary>
    /// <param name="file">The whole file.</param>
    /// <returns>The tensors by name, and the <c>__metadata__</c> strings.</returns>
    /// <exception cref="InvalidDataException">The bytes are not well-formed safetensors.</exception>
    public static (IReadOnlyDictionary<string, SafetensorsTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Parse(ReadOnlyMemory<byte> file)
        => ParseWith(file.Length, length => file.Slice(8, length), (offset, length) => file.Slice(checked((int)offset), length));

    /// <summary>The format's rules over any storage: <paramref name="header"/> gives the JSON
    /// header's bytes, <paramref name="slice"/> the bytes at a file offset.</summary>
    private static (IReadOnlyDictionary<string, SafetensorsTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) ParseWith(
        long fileLength, Func<int, ReadOnlyMemory<byte>> header, Func<long, int, ReadOnlyMemory<byte>> slice)
    {
        if (fileLength < 8)
            throw new InvalidDataException($"{fileLength} bytes is too short for a safetensors header.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(slice(0, 8).Span);
        if (headerLength > MaxHeaderBytes || (long)headerLength > fileLength - 8)
            throw new InvalidDataException($"Header length {headerLength} does not fit in a file of {fileLength} bytes (at most {MaxHeaderBytes} header bytes are read).");
        long dataStart = 8 + (long)headerLength, dataLength = fileLength - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header((int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The header is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException("The header is not a JSON object.");
            var tensors = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var ranges = new List<(long Begin, long End, string Name)>();
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                string name = NameOf(entry);
                if (name == "__metadata__")
                {
                    ReadMetadata(entry.Value, metadata);
                    continue;
                }
                if (tensors.ContainsKey(name))
                    throw new InvalidDataException($"Tensor '{name}' is named twice in the header.");
                var (dtype, shape, begin, end) = ReadEntry(name, entry.Value, dataLength);
                if (end - begin > int.MaxValue)
                    throw new InvalidDataException($"Tensor '{name}' spans {end - begin} bytes; tensors of 2 GiB and more are not supported.");
                tensors.Add(name, new SafetensorsTensor(name, dtype, shape, slice(dataStart + begin, (int)(end - begin))));
                ranges.Add((begin, end, name));
            }
            CheckRangesTileTheData(ranges, dataLength);
            return (tensors, metadata);
        }
    }

    private static string NameOf(JsonProperty entry)
    {
        try
        {
            return entry.Name;
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException("A tensor name in the header is not valid UTF-8.", e);
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

    private static (SafetensorsDType DType, List<long> Shape, long Begin, long End) ReadEntry(string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw new InvalidDataException($"Tensor '{name}' needs a string dtype, a shape array and two data_offsets.");
        if (!SafetensorsDTypes.TryParse(dtypeElement.GetString()!, out var dtype))
            throw new InvalidDataException($"Tensor '{name}' has unsupported dtype '{dtypeElement.GetString()}'.");
        var shape = new List<long>();
        foreach (var dimension in shapeElement.EnumerateArray())
            shape.Add(dimension.ValueKind == JsonValueKind.Number && dimension.TryGetInt64(out long d) && d >= 0
                ? d : throw new InvalidDataException($"Tensor '{name}' has a bad dimension {dimension}."));
        long begin = offsetsElement[0].ValueKind == JsonValueKind.Number && offsetsElement[0].TryGetInt64(out long b) ? b : -1;
        long end = offsetsElement[1].ValueKind == JsonValueKind.Number && offsetsElement[1].TryGetInt64(out long e) ? e : -1;
        if (begin < 0 || end < begin || end > dataLength)
            throw new InvalidDataException($"Tensor '{name}' has data_offsets [{begin}, {end}) outside the {dataLength} data bytes.");
        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (product, dimension) => checked(product * dimension)) * SafetensorsDTypes.SizeOf(dtype));
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"Tensor '{name}' has a shape too large to address.");
        }
        if (end - begin != expected)
            throw new InvalidDataException($"Tensor '{name}' spans {end - begin} bytes; shape [{string.Join(", ", shape)}] of {SafetensorsDTypes.Name(dtype)} needs {expected}.");
        return (dtype, shape, begin, end);
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
