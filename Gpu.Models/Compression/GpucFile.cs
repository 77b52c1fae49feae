using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace Gpu.Models.Compression;

/// <summary>
/// The <c>.gpuc</c> container of a compressed model (docs/format.md): a fixed preamble, a JSON
/// header (the model's metadata and, per tensor, shape, codec, payload extent and CRC-32) guarded by
/// its own CRC-32, then the payloads. <see cref="Read"/> checks every field against the file before
/// it allocates or decodes anything.
/// </summary>
public static class GpucFile
{
    /// <summary>The file's first four bytes.</summary>
    public static ReadOnlySpan<byte> Magic => "GPUC"u8;

    /// <summary>The newest format version this code writes and reads: 2 adds <c>kept_channels</c> to
    /// a tensor's entry. A file that needs no version-2 field is written as version 1, which older readers read.</summary>
    public const ushort Version = 2;

    /// <summary>The largest header accepted, so a corrupt length cannot demand a huge buffer.</summary>
    public const int MaxHeaderBytes = 16 << 20;

    private const int PreambleBytes = 16;

    private sealed record TensorEntry(string Name, long[] Shape, string Codec, long Offset, long Length, uint Crc32, ChannelSelection? KeptChannels = null);

    private sealed record Header(Dictionary<string, string> Metadata, List<TensorEntry> Tensors);

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes a compressed model atomically (a temporary beside <paramref name="path"/>, then a rename).</summary>
    public static void Write(string path, CompressedModel model)
    {
        var (metadata, tensors) = (model.Metadata, model.Tensors);
        var entries = new List<TensorEntry>(tensors.Count);
        long offset = 0;
        foreach (var tensor in tensors)
        {
            entries.Add(new TensorEntry(tensor.Name, tensor.Shape, tensor.Codec.ToString(), offset, tensor.Payload.Length, Crc32.HashToUInt32(tensor.Payload), tensor.ChannelSelection));
            offset += tensor.Payload.Length;
        }
        byte[] header = JsonSerializer.SerializeToUtf8Bytes(new Header(new Dictionary<string, string>(metadata), entries), Json);
        string temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            {
                Span<byte> preamble = stackalloc byte[PreambleBytes];
                Magic.CopyTo(preamble);
                BinaryPrimitives.WriteUInt16LittleEndian(preamble[4..], entries.Any(e => e.KeptChannels is not null) ? Version : (ushort)1);
                BinaryPrimitives.WriteUInt32LittleEndian(preamble[8..], (uint)header.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(preamble[12..], Crc32.HashToUInt32(header));
                stream.Write(preamble);
                stream.Write(header);
                foreach (var tensor in tensors)
                    stream.Write(tensor.Payload);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Reads and checks a compressed model: its metadata and tensors, still encoded.</summary>
    /// <exception cref="InvalidDataException">Anything in the file is inconsistent; the message says what, and where.</exception>
    public static CompressedModel Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        try
        {
            return Parse(file);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The model as <see cref="ModelWeights"/>, each compressed tensor decoded to float32 only when
    /// first read, so each network loads it as it loads a safetensors file.</summary>
    public static ModelWeights Load(string path) => Read(path).ToWeights(path);

    /// <summary>Whether <paramref name="path"/> starts with the <c>.gpuc</c> magic.</summary>
    public static bool IsGpuc(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> start = stackalloc byte[4];
        return stream.ReadAtLeast(start, 4, throwOnEndOfStream: false) == 4 && start.SequenceEqual(Magic);
    }

    /// <summary>Parses a whole <c>.gpuc</c> file held in memory (see <see cref="Read"/>).</summary>
    public static CompressedModel Parse(ReadOnlySpan<byte> file)
    {
        if (file.Length < PreambleBytes || !file[..4].SequenceEqual(Magic))
            throw new InvalidDataException("not a .gpuc file (no GPUC magic)");
        int version = BinaryPrimitives.ReadUInt16LittleEndian(file[4..]);
        if (version is < 1 or > Version)
            throw new InvalidDataException($"format version {version}; this build reads versions 1 to {Version}");
        long headerBytes = BinaryPrimitives.ReadUInt32LittleEndian(file[8..]);
        if (headerBytes > MaxHeaderBytes || headerBytes > file.Length - PreambleBytes)
            throw new InvalidDataException($"the header claims {headerBytes} bytes; the file has {file.Length - PreambleBytes} after the preamble");
        var headerSpan = file.Slice(PreambleBytes, (int)headerBytes);
        if (Crc32.HashToUInt32(headerSpan) != BinaryPrimitives.ReadUInt32LittleEndian(file[12..]))
            throw new InvalidDataException("the header's CRC-32 does not match: the file is corrupt");
        Header header;
        try
        {
            header = JsonSerializer.Deserialize<Header>(headerSpan, Json) ?? throw new InvalidDataException("the header is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the header is not valid JSON: {e.Message}");
        }
        if (header.Metadata is null || header.Tensors is null)
            throw new InvalidDataException("the header lacks metadata or tensors");

        var payloads = file[(PreambleBytes + (int)headerBytes)..];
        var names = new HashSet<string>(StringComparer.Ordinal);
        var tensors = new List<CompressedTensor>(header.Tensors.Count);
        foreach (var entry in header.Tensors)
        {
            if (entry.Name is null || entry.Shape is null || !names.Add(entry.Name))
                throw new InvalidDataException($"a tensor entry has no name or shape, or repeats '{entry.Name}'");
            if (!Enum.TryParse<TensorCodec>(entry.Codec, ignoreCase: false, out var codec) || !Enum.IsDefined(codec))
                throw new InvalidDataException($"tensor '{entry.Name}': unknown codec '{entry.Codec}'");
            if (entry.Shape.Any(d => d < 0) || entry.Shape.Aggregate(1.0, (p, d) => p * d) > CompressedTensor.MaxElements)
                throw new InvalidDataException($"tensor '{entry.Name}': shape [{string.Join(", ", entry.Shape)}] is negative or too large");
            if (entry.Offset < 0 || entry.Length < 0 || entry.Offset > payloads.Length - entry.Length)
                throw new InvalidDataException($"tensor '{entry.Name}': bytes {entry.Offset} to {entry.Offset + entry.Length} lie outside the {payloads.Length} payload bytes");
            var payload = payloads.Slice((int)entry.Offset, (int)entry.Length);
            if (Crc32.HashToUInt32(payload) != entry.Crc32)
                throw new InvalidDataException($"tensor '{entry.Name}': CRC-32 mismatch, the payload is corrupt");
            if (entry.KeptChannels is { } selection)
            {
                if (version < 2)
                    throw new InvalidDataException($"tensor '{entry.Name}': kept_channels needs format version 2; the file says {version}");
                selection.Check(entry.Name, entry.Shape);
            }
            tensors.Add(new CompressedTensor(entry.Name, entry.Shape, codec, payload.ToArray()) { ChannelSelection = entry.KeptChannels });
        }
        return new CompressedModel(header.Metadata, tensors);
    }
}
