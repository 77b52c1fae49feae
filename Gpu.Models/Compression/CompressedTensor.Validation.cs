namespace Gpu.Models.Compression;

/// <summary>Checking a payload whole without holding its decoded values.</summary>
public sealed partial record CompressedTensor
{
    // Codes are decoded this many at a time, so checking a tensor of any size holds a fixed window.
    private const int ValidationWindow = 4096;

    private delegate void SymbolWindow(ReadOnlySpan<int> symbols);

    /// <summary>Runs every check <see cref="Decode"/> runs, decoding the codes through a small window
    /// rather than into the tensor, so a loader refuses a corrupt payload without allocating its values.</summary>
    /// <exception cref="InvalidDataException">The payload does not fit the shape and codec.</exception>
    public void Validate()
    {
        int count = CheckedCount();
        var input = new PayloadReader(Payload, Name);
        switch (Codec)
        {
            case TensorCodec.Raw:
                CheckRawLength(count);
                break;
            case TensorCodec.Int8:
                ReadInt8Channels(input, count);
                break;
            case TensorCodec.Shared:
                var shared = ReadShared(input, count);
                Skim(shared.Code, shared.Stream, count, null);
                break;
            case TensorCodec.SparseShared:
                var sparse = ReadSparseHeader(input, count);
                Skim(sparse.ValueCode, sparse.ValueStream, sparse.Entries, null);
                long position = -1, entry = 0;
                Skim(sparse.GapCode, sparse.GapStream, sparse.Entries, gaps =>
                {
                    foreach (int gap in gaps)
                        position = SparseGaps.Next(position, gap, entry++, sparse.GapBits, count);
                });
                break;
            case TensorCodec.ChannelPruned:
                KeptChannelsTensor().Tensor.Validate();
                break;
            default:
                throw Invalid($"codec {(int)Codec} is unknown");
        }
    }

    // Decodes count codes a window at a time, handing each window to visit; a failure names this tensor.
    private void Skim(HuffmanCode code, byte[] stream, long count, SymbolWindow? visit)
    {
        var window = new int[Math.Min(ValidationWindow, count)];
        var reader = new BitReader(stream);
        try
        {
            for (long done = 0; done < count; done += window.Length)
            {
                var part = window.AsSpan(0, (int)Math.Min(window.Length, count - done));
                code.Decode(ref reader, part);
                visit?.Invoke(part);
            }
        }
        catch (InvalidDataException e)
        {
            throw Invalid(e.Message);
        }
    }
}
