using System.Buffers.Binary;

namespace Gpu.Models.Compression;

/// <summary>How a tensor is stored in a <c>.gpuc</c> file (docs/format.md). The numbers are stored (as a
/// channel-pruned tensor's inner codec), so new codecs are added at the end.</summary>
public enum TensorCodec
{
    /// <summary>float32 values as they are (biases, norm parameters, small tensors).</summary>
    Raw,

    /// <summary>Weight sharing: k-means centroids and a Huffman-coded centroid index per weight.</summary>
    Shared,

    /// <summary>Pruned and shared: the kept weights' positions as Huffman-coded gaps (with padding
    /// entries) and their Huffman-coded centroid indices; centroid 0 is the zero that padding stores.</summary>
    SparseShared,

    /// <summary>Symmetric int8 with one scale per output channel (the first dimension).</summary>
    Int8,

    /// <summary>Structured pruning: a bitmask of the kept output channels, then the kept channels as
    /// one tensor in another codec; dropped channels decode to zeros.</summary>
    ChannelPruned,
}

/// <summary>
/// One tensor in its stored form: name, shape, codec and the codec's bytes. The factories compress;
/// <see cref="Decode"/> rebuilds the float32 values and refuses, with an
/// <see cref="InvalidDataException"/>, any payload its shape and codec cannot explain, allocating
/// nothing that the payload's own size does not bound.
/// </summary>
/// <param name="Name">The tensor's key, as in the model's safetensors file.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Codec">How <paramref name="Payload"/> encodes the values.</param>
/// <param name="Payload">The encoded values.</param>
public sealed partial record CompressedTensor(string Name, long[] Shape, TensorCodec Codec, byte[] Payload)
{
    /// <summary>The most elements a tensor may have (what one .NET array holds).</summary>
    public const long MaxElements = int.MaxValue;

    /// <summary>For a layer that structured pruning made smaller (<see cref="ChannelRemoval"/>), which of
    /// its original output channels this tensor holds; null otherwise.</summary>
    public ChannelSelection? ChannelSelection { get; init; }

    /// <summary>Number of values.</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, dimension) => product * dimension);

    /// <summary>The values stored verbatim.</summary>
    public static CompressedTensor Raw(string name, long[] shape, ReadOnlySpan<float> values)
    {
        CheckLength(name, shape, values.Length);
        var payload = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(4 * i), values[i]);
        return new CompressedTensor(name, shape, TensorCodec.Raw, payload);
    }

    /// <summary>Every value replaced by the nearest of 2^<paramref name="bits"/> k-means centroids (1 to 8 bits).</summary>
    public static CompressedTensor Shared(string name, long[] shape, ReadOnlySpan<float> values, int bits)
    {
        CheckLength(name, shape, values.Length);
        CheckBits(bits, 1, 8, nameof(bits));
        var shared = WeightSharing.Cluster(values, 1 << bits);
        var output = new PayloadWriter();
        output.Byte(bits);
        WriteCodebook(output, shared.Centroids, shared.Indices, out var stream);
        output.Bytes(stream);
        return new CompressedTensor(name, shape, TensorCodec.Shared, output.ToArray());
    }

    /// <summary>
    /// The values where <paramref name="keep"/> is true, shared among 2^<paramref name="valueBits"/> − 1
    /// k-means centroids, at positions coded as gaps of <paramref name="gapBits"/> bits; the rest are zero.
    /// </summary>
    public static CompressedTensor SparseShared(string name, long[] shape, ReadOnlySpan<float> values, ReadOnlySpan<bool> keep, int valueBits, int gapBits)
    {
        CheckLength(name, shape, values.Length);
        if (keep.Length != values.Length)
            throw new ArgumentException($"{name}: the mask has {keep.Length} entries for {values.Length} values", nameof(keep));
        CheckBits(valueBits, 2, 8, nameof(valueBits));
        CheckBits(gapBits, 1, 12, nameof(gapBits));
        var positions = new List<int>();
        for (int i = 0; i < keep.Length; i++)
            if (keep[i])
                positions.Add(i);
        var kept = new float[positions.Count];
        for (int i = 0; i < kept.Length; i++)
            kept[i] = values[positions[i]];
        var shared = WeightSharing.Cluster(kept, (1 << valueBits) - 1);
        var gaps = SparseGaps.Encode(positions.ToArray(), values.Length, gapBits);
        // Centroid 0 is the zero of the padding entries; the shared values follow it.
        float[] centroids = [0f, .. shared.Centroids];
        int[] symbols = [.. gaps.Sources.Select(s => s < 0 ? 0 : shared.Indices[s] + 1)];

        var output = new PayloadWriter();
        output.Byte(valueBits);
        output.Byte(gapBits);
        output.UInt32((uint)symbols.Length);
        WriteCodebook(output, centroids, symbols, out var valueStream);
        var gapCode = HuffmanCode.FromFrequencies(Histogram(gaps.Gaps, 1 << gapBits));
        output.Bytes(gapCode.Lengths);
        output.UInt32((uint)valueStream.Length);
        output.Bytes(valueStream);
        var gapWriter = new BitWriter();
        gapCode.Encode(gaps.Gaps, gapWriter);
        output.Bytes(gapWriter.ToArray());
        return new CompressedTensor(name, shape, TensorCodec.SparseShared, output.ToArray());
    }

    /// <summary>Symmetric int8 per output channel: q = round(w / s) with s = max |w| / 127 over the channel.</summary>
    public static CompressedTensor Int8(string name, long[] shape, ReadOnlySpan<float> values)
    {
        CheckLength(name, shape, values.Length);
        if (shape.Length == 0 || shape[0] <= 0)
            throw new ArgumentException($"{name}: int8 needs an output-channel dimension", nameof(shape));
        int channels = (int)shape[0], perChannel = values.Length / channels;
        var output = new PayloadWriter();
        output.UInt32((uint)channels);
        var scales = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            float max = 0;
            foreach (float v in values.Slice(c * perChannel, perChannel))
                max = MathF.Max(max, MathF.Abs(v));
            scales[c] = max / 127;
            output.Single(scales[c]);
        }
        for (int i = 0; i < values.Length; i++)
        {
            float scale = scales[i / Math.Max(perChannel, 1)];
            output.Byte((byte)(sbyte)(scale == 0 ? 0 : Math.Clamp(MathF.Round(values[i] / scale), -127, 127)));
        }
        return new CompressedTensor(name, shape, TensorCodec.Int8, output.ToArray());
    }

    /// <summary>Bits per stored value: 32 raw, 8 int8, the codebook index width when shared (of the kept channels when channel-pruned).</summary>
    public int ValueBits => Codec switch
    {
        TensorCodec.Raw => 32,
        TensorCodec.Int8 => 8,
        TensorCodec.ChannelPruned => KeptChannelsTensor().Tensor.ValueBits,
        _ => Payload.Length > 0 ? Payload[0] : 0,
    };

    /// <summary>The gap field's width of a pruned tensor; 0 for the other codecs.</summary>
    public int GapBits => Codec switch
    {
        TensorCodec.SparseShared => Payload.Length > 1 ? Payload[1] : 0,
        TensorCodec.ChannelPruned => KeptChannelsTensor().Tensor.GapBits,
        _ => 0,
    };

    /// <summary>The float32 values the payload encodes.</summary>
    /// <exception cref="InvalidDataException">The payload does not fit the shape and codec.</exception>
    public float[] Decode()
    {
        int count = CheckedCount();
        return Codec switch
        {
            TensorCodec.Raw => DecodeRaw(new PayloadReader(Payload, Name), count),
            TensorCodec.Shared or TensorCodec.SparseShared => DecodeCodebook(count).ToFloat32(),
            TensorCodec.Int8 => DecodeInt8(count).ToFloat32(),
            TensorCodec.ChannelPruned => DecodeChannelPruned(),
            _ => throw Invalid($"codec {(int)Codec} is unknown"),
        };
    }

    /// <summary>A pruned tensor's kept weights as stored, without expanding the zeros: the layers
    /// that run sparse are built from these.</summary>
    /// <exception cref="InvalidOperationException">The codec is not <see cref="TensorCodec.SparseShared"/>.</exception>
    /// <exception cref="InvalidDataException">The payload does not fit the shape and codec.</exception>
    public SparseEntries DecodeSparse()
    {
        RequireCodec(TensorCodec.SparseShared);
        var stored = ReadSparseShared(new PayloadReader(Payload, Name), CheckedCount());
        // Padding entries (symbol 0, the zero centroid) bridge long gaps and hold no weight.
        var kept = Enumerable.Range(0, stored.Positions.Length).Where(e => stored.Symbols[e] != 0).ToArray();
        return new SparseEntries([.. kept.Select(e => stored.Positions[e])], [.. kept.Select(e => stored.Centroids[stored.Symbols[e]])]);
    }

    /// <summary>A weight-shared tensor as one centroid index per value and the codebook; a pruned
    /// tensor's pruned positions index centroid 0, its zero.</summary>
    /// <exception cref="InvalidOperationException">The codec is neither <see cref="TensorCodec.Shared"/> nor <see cref="TensorCodec.SparseShared"/>.</exception>
    /// <exception cref="InvalidDataException">The payload does not fit the shape and codec.</exception>
    public CodebookEntries DecodeCodebook()
    {
        if (Codec is not (TensorCodec.Shared or TensorCodec.SparseShared))
            throw new InvalidOperationException($"tensor '{Name}' is stored as {Codec}, which has no codebook");
        return DecodeCodebook(CheckedCount());
    }

    /// <summary>An int8 tensor's values and per-channel scales as stored.</summary>
    /// <exception cref="InvalidOperationException">The codec is not <see cref="TensorCodec.Int8"/>.</exception>
    /// <exception cref="InvalidDataException">The payload does not fit the shape and codec.</exception>
    public Int8Entries DecodeInt8()
    {
        RequireCodec(TensorCodec.Int8);
        return DecodeInt8(CheckedCount());
    }

    private int CheckedCount()
    {
        long count = ElementCount;
        if (Shape.Any(d => d < 0) || count > MaxElements)
            throw Invalid($"shape [{string.Join(", ", Shape)}] is negative or too large");
        return (int)count;
    }

    private void RequireCodec(TensorCodec codec)
    {
        if (Codec != codec)
            throw new InvalidOperationException($"tensor '{Name}' is stored as {Codec}, not {codec}");
    }

    private void CheckRawLength(int count)
    {
        if (Payload.Length != 4L * count)
            throw Invalid($"raw payload of {Payload.Length} bytes for {count} values");
    }

    private float[] DecodeRaw(PayloadReader input, int count)
    {
        CheckRawLength(count);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = input.Single();
        return values;
    }

    private CodebookEntries DecodeCodebook(int count)
    {
        var input = new PayloadReader(Payload, Name);
        if (Codec == TensorCodec.SparseShared)
        {
            var stored = ReadSparseShared(input, count);
            var expanded = new byte[count];
            for (int e = 0; e < stored.Positions.Length; e++)
                expanded[stored.Positions[e]] = (byte)stored.Symbols[e];
            return new CodebookEntries(expanded, stored.Centroids, stored.ValueBits);
        }
        var (bits, centroids, code, stream) = ReadShared(input, count);
        var indices = new int[count];
        var reader = new BitReader(stream);
        code.Decode(ref reader, indices);
        return new CodebookEntries([.. indices.Select(i => (byte)i)], centroids, bits);
    }

    private (int Bits, float[] Centroids, HuffmanCode Code, byte[] Stream) ReadShared(PayloadReader input, int count)
    {
        int bits = input.Byte();
        if (bits is < 1 or > 8)
            throw Invalid($"{bits}-bit weight sharing; 1 to 8 bits are allowed");
        var (centroids, code) = ReadCodebook(input, 1 << bits);
        var stream = input.Rest();
        // Every code is at least one bit long, so the stream bounds the count before anything is allocated.
        if (count > 8L * stream.Length)
            throw Invalid($"{count} values cannot fit a {stream.Length}-byte index stream");
        return (bits, centroids, code, stream);
    }

    private (int[] Positions, int[] Symbols, float[] Centroids, int ValueBits) ReadSparseShared(PayloadReader input, int count)
    {
        var sparse = ReadSparseHeader(input, count);
        var symbols = new int[sparse.Entries];
        var gaps = new int[sparse.Entries];
        var valueReader = new BitReader(sparse.ValueStream);
        sparse.ValueCode.Decode(ref valueReader, symbols);
        var gapReader = new BitReader(sparse.GapStream);
        sparse.GapCode.Decode(ref gapReader, gaps);
        try
        {
            return (SparseGaps.Positions(gaps, sparse.GapBits, count), symbols, sparse.Centroids, sparse.ValueBits);
        }
        catch (InvalidDataException e)
        {
            throw Invalid(e.Message);
        }
    }

    private sealed record SparseHeader(int ValueBits, int GapBits, long Entries, float[] Centroids, HuffmanCode ValueCode, HuffmanCode GapCode,
        byte[] ValueStream, byte[] GapStream);

    // A pruned payload's fields and streams, checked against each other and the count before any entry is decoded.
    private SparseHeader ReadSparseHeader(PayloadReader input, int count)
    {
        int valueBits = input.Byte(), gapBits = input.Byte();
        if (valueBits is < 2 or > 8 || gapBits is < 1 or > 12)
            throw Invalid($"{valueBits}-bit values or {gapBits}-bit gaps are out of range");
        long entries = input.UInt32();
        if (entries > count)
            throw Invalid($"{entries} entries for a tensor of {count} values");
        var (centroids, valueCode) = ReadCodebook(input, 1 << valueBits);
        if (centroids.Length == 0 || centroids[0] != 0)
            throw Invalid("centroid 0 must be the zero of the padding entries");
        var gapCode = HuffmanCode.FromLengths(input.Bytes(1 << gapBits));
        var valueStream = input.Bytes(input.UInt32());
        var gapStream = input.Rest();
        if (entries > 8L * valueStream.Length || entries > 8L * gapStream.Length)
            throw Invalid($"{entries} entries cannot fit streams of {valueStream.Length} and {gapStream.Length} bytes");
        return new SparseHeader(valueBits, gapBits, entries, centroids, valueCode, gapCode, valueStream, gapStream);
    }

    private Int8Entries DecodeInt8(int count)
    {
        var input = new PayloadReader(Payload, Name);
        long channels = ReadInt8Channels(input, count);
        var scales = new float[channels];
        for (int c = 0; c < channels; c++)
            scales[c] = input.Single();
        var values = new sbyte[count];
        for (int i = 0; i < count; i++)
            values[i] = (sbyte)input.Byte();
        return new Int8Entries(values, scales);
    }

    private long ReadInt8Channels(PayloadReader input, int count)
    {
        long channels = input.UInt32();
        if (Shape.Length == 0 || channels != Shape[0] || Payload.Length != 4 + 4 * channels + count)
            throw Invalid($"int8 payload of {Payload.Length} bytes for {channels} channels and {count} values");
        return channels;
    }

    private static void WriteCodebook(PayloadWriter output, float[] centroids, int[] symbols, out byte[] stream)
    {
        var code = HuffmanCode.FromFrequencies(Histogram(symbols, centroids.Length));
        output.UInt16((ushort)centroids.Length);
        foreach (float c in centroids)
            output.Single(c);
        output.Bytes(code.Lengths);
        var writer = new BitWriter();
        code.Encode(symbols, writer);
        stream = writer.ToArray();
    }

    private (float[] Centroids, HuffmanCode Code) ReadCodebook(PayloadReader input, int maxCentroids)
    {
        int count = input.UInt16();
        if (count > maxCentroids)
            throw Invalid($"{count} centroids; the bit width allows {maxCentroids}");
        var centroids = new float[count];
        for (int c = 0; c < count; c++)
            centroids[c] = input.Single();
        try
        {
            return (centroids, HuffmanCode.FromLengths(input.Bytes(count)));
        }
        catch (InvalidDataException e)
        {
            throw Invalid(e.Message);
        }
    }

    private static long[] Histogram(ReadOnlySpan<int> symbols, int alphabet)
    {
        var counts = new long[alphabet];
        foreach (int s in symbols)
            counts[s]++;
        return counts;
    }

    private static void CheckLength(string name, long[] shape, int length)
    {
        long count = shape.Aggregate(1L, (product, dimension) => product * dimension);
        if (shape.Any(d => d < 0) || count != length)
            throw new ArgumentException($"{name}: shape [{string.Join(", ", shape)}] does not hold {length} values", nameof(shape));
    }

    private static void CheckBits(int bits, int low, int high, string name)
    {
        if (bits < low || bits > high)
            throw new ArgumentOutOfRangeException(name, bits, $"{low} to {high} bits");
    }

    private InvalidDataException Invalid(string message) => new($"tensor '{Name}' ({Codec}): {message}");

    private sealed class PayloadWriter
    {
        private readonly MemoryStream stream = new();

        public void Byte(int value) => stream.WriteByte((byte)value);

        public void UInt16(ushort value)
        {
            Span<byte> bytes = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
            stream.Write(bytes);
        }

        public void UInt32(uint value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            stream.Write(bytes);
        }

        public void Single(float value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            stream.Write(bytes);
        }

        public void Bytes(ReadOnlySpan<byte> bytes) => stream.Write(bytes);

        public byte[] ToArray() => stream.ToArray();
    }

    private sealed class PayloadReader(byte[] payload, string name)
    {
        private int position;

        public int Byte() => Take(1)[0];

        public int UInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public uint UInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public float Single() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

        public byte[] Bytes(long count) => Take(count).ToArray();

        public byte[] Rest() => Take(payload.Length - position).ToArray();

        private ReadOnlySpan<byte> Take(long count)
        {
            if (count < 0 || count > payload.Length - position)
                throw new InvalidDataException($"tensor '{name}': the payload ends {count - (payload.Length - position)} bytes short");
            var span = payload.AsSpan(position, (int)count);
            position += (int)count;
            return span;
        }
    }
}

/// <summary>A pruned tensor's kept weights: their row-major positions, ascending, and values.</summary>
/// <param name="Positions">Where each kept weight stands in the tensor's row-major order.</param>
/// <param name="Values">Each kept weight's shared value.</param>
public sealed record SparseEntries(int[] Positions, float[] Values);

/// <summary>A weight-shared tensor: one centroid index per value, row-major, and the codebook.</summary>
/// <param name="Indices">Each value's centroid index.</param>
/// <param name="Centroids">The codebook, at most 2^<paramref name="Bits"/> values.</param>
/// <param name="Bits">The width of an index.</param>
public sealed record CodebookEntries(byte[] Indices, float[] Centroids, int Bits)
{
    /// <summary>The float32 value of every index.</summary>
    public float[] ToFloat32() => [.. Indices.Select(i => Centroids[i])];
}

/// <summary>An int8 tensor: its signed values, row-major, and one scale per output channel.</summary>
/// <param name="Values">The quantized values.</param>
/// <param name="Scales">One scale per output channel (the first dimension).</param>
public sealed record Int8Entries(sbyte[] Values, float[] Scales)
{
    /// <summary>Each value times its channel's scale.</summary>
    public float[] ToFloat32()
    {
        int perChannel = Scales.Length == 0 ? 0 : Values.Length / Scales.Length;
        return [.. Values.Select((q, i) => q * Scales[i / perChannel])];
    }
}
