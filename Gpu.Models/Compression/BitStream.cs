namespace Gpu.Models.Compression;

/// <summary>Writes bit fields most significant bit first into a growing byte array, as the
/// compressed sections store Huffman codes.</summary>
public sealed class BitWriter
{
    private byte[] bytes = new byte[64];
    private ulong pending;
    private int pendingBits;
    private int length;

    /// <summary>Bits written so far.</summary>
    public long BitCount => 8L * length + pendingBits;

    /// <summary>Appends the low <paramref name="count"/> bits of <paramref name="value"/> (0 to 32 bits).</summary>
    public void Write(uint value, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 32);
        if (count == 0)
            return;
        pending = (pending << count) | (value & (uint)((1UL << count) - 1));
        pendingBits += count;
        while (pendingBits >= 8)
        {
            pendingBits -= 8;
            Append((byte)(pending >> pendingBits));
        }
        pending &= (1UL << pendingBits) - 1;
    }

    /// <summary>The bytes written, the last one padded with zero bits.</summary>
    public byte[] ToArray()
    {
        var result = new byte[length + (pendingBits > 0 ? 1 : 0)];
        bytes.AsSpan(0, length).CopyTo(result);
        if (pendingBits > 0)
            result[^1] = (byte)(pending << (8 - pendingBits));
        return result;
    }

    private void Append(byte value)
    {
        if (length == bytes.Length)
            Array.Resize(ref bytes, bytes.Length * 2);
        bytes[length++] = value;
    }
}

/// <summary>Reads what a <see cref="BitWriter"/> wrote; reading past the end is an
/// <see cref="InvalidDataException"/>, since it means a corrupt or truncated section.</summary>
public ref struct BitReader
{
    private readonly ReadOnlySpan<byte> bytes;
    private long position;

    /// <summary>Reads <paramref name="bytes"/> from their first bit.</summary>
    public BitReader(ReadOnlySpan<byte> bytes)
    {
        this.bytes = bytes;
        position = 0;
    }

    /// <summary>Bits not read yet.</summary>
    public readonly long RemainingBits => 8L * bytes.Length - position;

    /// <summary>Reads one bit.</summary>
    public int ReadBit()
    {
        if (position >= 8L * bytes.Length)
            throw new InvalidDataException($"the bit stream ends after {bytes.Length} bytes but more was to be read");
        int bit = (bytes[(int)(position >> 3)] >> (7 - (int)(position & 7))) & 1;
        position++;
        return bit;
    }

    /// <summary>Reads a field of <paramref name="count"/> bits (0 to 32).</summary>
    public uint Read(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 32);
        if (count > RemainingBits)
            throw new InvalidDataException($"the bit stream ends {RemainingBits} bits short of a {count}-bit field");
        uint value = 0;
        for (int i = 0; i < count; i++)
            value = (value << 1) | (uint)ReadBit();
        return value;
    }
}
