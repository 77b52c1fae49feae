namespace Gpu.Models.Compression;

/// <summary>The <see cref="TensorCodec.ChannelPruned"/> codec: structured pruning's compact form.</summary>
public sealed partial record CompressedTensor
{
    /// <summary>
    /// A tensor whose output channels (the first dimension) where <paramref name="keptChannels"/> is
    /// false are all zero: stored as the channel bitmask and <paramref name="kept"/>, the remaining
    /// channels as one tensor of shape [kept, …] in any codec but this one.
    /// </summary>
    public static CompressedTensor ChannelPruned(string name, long[] shape, ReadOnlySpan<bool> keptChannels, CompressedTensor kept)
    {
        ArgumentNullException.ThrowIfNull(kept);
        if (shape.Length == 0 || shape[0] != keptChannels.Length)
            throw new ArgumentException($"{name}: {keptChannels.Length} channel flags for shape [{string.Join(", ", shape)}]", nameof(keptChannels));
        int count = 0;
        foreach (bool k in keptChannels)
            count += k ? 1 : 0;
        long[] keptShape = [count, .. shape[1..]];
        if (kept.Codec == TensorCodec.ChannelPruned || !kept.Shape.SequenceEqual(keptShape))
            throw new ArgumentException($"{name}: the kept channels must be one tensor of shape [{string.Join(", ", keptShape)}] in another codec", nameof(kept));
        var output = new PayloadWriter();
        output.UInt32((uint)keptChannels.Length);
        var mask = new byte[(keptChannels.Length + 7) / 8];
        for (int c = 0; c < keptChannels.Length; c++)
            if (keptChannels[c])
                mask[c / 8] |= (byte)(1 << (c % 8));
        output.Bytes(mask);
        output.Byte((int)kept.Codec);
        output.Bytes(kept.Payload);
        return new CompressedTensor(name, shape, TensorCodec.ChannelPruned, output.ToArray());
    }

    /// <summary>Which output channels a <see cref="TensorCodec.ChannelPruned"/> tensor keeps.</summary>
    /// <exception cref="InvalidDataException">The tensor is of another codec or its payload is corrupt.</exception>
    public bool[] KeptChannels() => KeptChannelsTensor().Kept;

    private float[] DecodeChannelPruned()
    {
        var (kept, tensor) = KeptChannelsTensor();
        float[] compact = tensor.Decode();
        var values = new float[ElementCount];
        int perChannel = kept.Length == 0 ? 0 : (int)(values.Length / kept.Length), next = 0;
        for (int c = 0; c < kept.Length; c++)
            if (kept[c])
                compact.AsSpan(next++ * perChannel, perChannel).CopyTo(values.AsSpan(c * perChannel));
        return values;
    }

    // The header of a channel-pruned payload: the mask, checked against the shape, and the kept channels' tensor, still encoded.
    private (bool[] Kept, CompressedTensor Tensor) KeptChannelsTensor()
    {
        if (Codec != TensorCodec.ChannelPruned)
            throw new InvalidOperationException($"tensor '{Name}' is {Codec}, not channel-pruned");
        var input = new PayloadReader(Payload, Name);
        long channels = input.UInt32();
        if (Shape.Length == 0 || channels != Shape[0] || Shape.Any(d => d < 0) || ElementCount > MaxElements)
            throw Invalid($"{channels} channels for shape [{string.Join(", ", Shape)}]");
        byte[] mask = input.Bytes((channels + 7) / 8);
        var kept = new bool[channels];
        for (int c = 0; c < channels; c++)
            kept[c] = (mask[c / 8] >> (c % 8) & 1) != 0;
        if (channels % 8 != 0 && mask[^1] >> (int)(channels % 8) != 0)
            throw Invalid("the channel mask sets bits past the last channel");
        var codec = (TensorCodec)input.Byte();
        if (codec is not (TensorCodec.Raw or TensorCodec.Shared or TensorCodec.SparseShared or TensorCodec.Int8))
            throw Invalid($"the kept channels' codec {(int)codec} is unknown or nested");
        long[] keptShape = [kept.Count(k => k), .. Shape[1..]];
        return (kept, new CompressedTensor(Name, keptShape, codec, input.Rest()));
    }
}
