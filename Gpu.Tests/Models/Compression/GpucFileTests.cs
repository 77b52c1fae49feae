using System.Buffers.Binary;
using System.Diagnostics;
using Gpu.Models.Compression;

namespace Gpu.Tests.Models.Compression;

/// <summary>The compressed tensor codecs and the <c>.gpuc</c> container: each codec gives back what
/// it promises (raw exactly, shared values as k-means assigns them, pruned weights as zeros, int8
/// within half a step), a file round-trips, every kind of malformed file or payload is refused with an
/// <see cref="InvalidDataException"/> that says what is wrong, and a time-bounded mutation fuzz finds
/// nothing else thrown.</summary>
public sealed class GpucFileTests
{
    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("gpuc-file").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(directory, recursive: true);

    private static float[] Weights(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * 0.3f)];
    }

    [Test]
    public void EachCodecGivesBackWhatItPromises()
    {
        float[] w = Weights(24 * 24 * 9, 1);
        long[] shape = [24, 24, 3, 3];
        Assert.That(CompressedTensor.Raw("raw", shape, w).Decode(), Is.EqualTo(w));

        Assert.That(CompressedTensor.Shared("shared", shape, w, 5).Decode(), Is.EqualTo(WeightSharing.Cluster(w, 32).Decode()));

        bool[] keep = MagnitudePruning.MaskBySparsity(w, 0.9);
        float[] sparse = CompressedTensor.SparseShared("sparse", shape, w, keep, valueBits: 5, gapBits: 4).Decode();
        float[] kept = [.. w.Where((_, i) => keep[i])];
        float[] sharedKept = WeightSharing.Cluster(kept, 31).Decode();
        Assert.That(sparse.Where((_, i) => !keep[i]), Is.All.EqualTo(0f));
        Assert.That(sparse.Where((_, i) => keep[i]), Is.EqualTo(sharedKept));

        float[] int8 = CompressedTensor.Int8("int8", shape, w).Decode();
        for (int c = 0; c < 24; c++)
        {
            float step = w.Skip(c * 216).Take(216).Max(MathF.Abs) / 127;
            for (int i = c * 216; i < (c + 1) * 216; i++)
                Assert.That(int8[i], Is.EqualTo(w[i]).Within(step / 2 + 1e-7f));
        }
    }

    [Test]
    public void HuffmanCodedSparseTensorsAreNoLargerThanFixedWidthFields()
    {
        float[] w = Weights(64 * 64 * 9, 2);
        bool[] keep = MagnitudePruning.MaskBySparsity(w, 0.9);
        int[] positions = [.. Enumerable.Range(0, w.Length).Where(i => keep[i])];
        const int valueBits = 5, gapBits = 4;
        int entries = SparseGaps.Encode(positions, w.Length, gapBits).Gaps.Length;
        var sparse = CompressedTensor.SparseShared("w", [64, 64, 3, 3], w, keep, valueBits, gapBits);
        // Fields: widths and entry count, 32 float centroids with a code length each, the gap code's
        // lengths and the value stream's size; then the streams, which an optimal prefix code keeps
        // within the fixed-width coding of the same symbols.
        int fields = 2 + 4 + (2 + 32 * 5) + (1 << gapBits) + 4;
        Assert.That(sparse.Payload.Length, Is.LessThanOrEqualTo(fields + (entries * valueBits + 7) / 8 + (entries * gapBits + 7) / 8));
        Assert.That(4.0 * w.Length / sparse.Payload.Length, Is.GreaterThan(20), "ratio to float32 at 90 % sparsity");
    }

    [Test]
    public void AFileRoundTripsWithItsMetadata()
    {
        string path = Path.Combine(directory, "m.gpuc");
        float[] w = Weights(300, 3);
        CompressedTensor[] tensors = [CompressedTensor.Raw("bias", [300], w), CompressedTensor.Shared("weight", [10, 30], w, 4)];
        GpucFile.Write(path, new CompressedModel(new Dictionary<string, string> { ["architecture"] = "can" }, tensors));
        var (metadata, read) = GpucFile.Read(path);
        Assert.That(metadata["architecture"], Is.EqualTo("can"));
        Assert.That(read.Select(t => (t.Name, t.Codec, string.Join(",", t.Shape))), Is.EqualTo(tensors.Select(t => (t.Name, t.Codec, string.Join(",", t.Shape)))));
        Assert.That(read.Select(t => t.Decode()), Is.EqualTo(tensors.Select(t => t.Decode())));

        var weights = Gpu.Models.ModelWeights.Read(path);
        Assert.That(weights.Float("weight", 10, 30), Is.EqualTo(tensors[1].Decode()));
        Assert.That(Directory.GetFiles(directory), Has.Length.EqualTo(1), "no temporary left behind");
    }

    [Test]
    public void KeptChannelsRoundTripInVersion2AndAreCheckedAgainstTheShape()
    {
        string path = Path.Combine(directory, "narrow.gpuc");
        float[] w = Weights(12, 5);
        var narrowed = CompressedTensor.Raw("weight", [3, 4], w) with { ChannelSelection = new ChannelSelection(5, [0, 2, 3]) };
        GpucFile.Write(path, new CompressedModel(new Dictionary<string, string>(), [narrowed]));
        byte[] valid = File.ReadAllBytes(path);
        Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(valid.AsSpan(4)), Is.EqualTo(2), "a file that records kept channels is version 2");
        var read = GpucFile.Parse(valid).Tensors.Single();
        Assert.That((read.ChannelSelection!.Original, read.ChannelSelection.Kept), Is.EqualTo((5, new[] { 0, 2, 3 })));

        GpucFile.Write(path, new CompressedModel(new Dictionary<string, string>(), [narrowed with { ChannelSelection = null }]));
        Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(File.ReadAllBytes(path).AsSpan(4)), Is.EqualTo(1), "one that needs nothing of version 2 stays readable by older readers");

        byte[] older = (byte[])valid.Clone();
        older[4] = 1;
        Assert.That(Refusal(older), Does.Contain("kept_channels needs format version 2"));
        byte[] newer = (byte[])valid.Clone();
        newer[4] = 3;
        Assert.That(Refusal(newer), Does.Contain("version 3").And.Contain("versions 1 to 2"));
        Assert.That(Refusal(EditHeader(valid, "\"kept\":[0,2,3]", "\"kept\":[0,3,2]")), Does.Contain("out of order"));
        Assert.That(Refusal(EditHeader(valid, "\"kept\":[0,2,3]", "\"kept\":[0,2,9]")), Does.Contain("not below 5"));
        Assert.That(Refusal(EditHeader(valid, "\"kept\":[0,2,3]", "\"kept\":[0,2]  ")), Does.Contain("do not match its shape"));
        Assert.That(Refusal(EditHeader(valid, "\"original\":5", "\"original\":2")), Does.Contain("do not match its shape"));
        Assert.That(Refusal(EditHeader(valid, "\"kept\":[0,2,3]", "\"kept\":null   ")), Does.Contain("do not match its shape"));
    }

    // The file with one string of its JSON header replaced by another of the same length, and the header's CRC made right again.
    private static byte[] EditHeader(byte[] file, string from, string to)
    {
        Assert.That(to, Has.Length.EqualTo(from.Length));
        int length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(8));
        string header = System.Text.Encoding.UTF8.GetString(file, 16, length);
        Assert.That(header, Does.Contain(from));
        byte[] edited = (byte[])file.Clone();
        System.Text.Encoding.UTF8.GetBytes(header.Replace(from, to)).CopyTo(edited, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(edited.AsSpan(12), System.IO.Hashing.Crc32.HashToUInt32(edited.AsSpan(16, length)));
        return edited;
    }

    [Test]
    public void ACompressedTensorIsCheckedAtLoadButDecodedOnlyWhenFirstRead()
    {
        string path = Path.Combine(directory, "lazy.gpuc");
        float[] w = Weights(300, 3);
        var shared = CompressedTensor.Shared("weight", [10, 30], w, 4);
        GpucFile.Write(path, new CompressedModel(new Dictionary<string, string>(), [CompressedTensor.Raw("bias", [300], w), shared]));
        var weights = Gpu.Models.ModelWeights.Read(path);

        var view = weights.Weights("weight", 10, 30);
        Assert.That(view.IsMaterialized, Is.False, "loading decodes nothing");
        Assert.That(weights.Weights("weight", 10, 30), Is.SameAs(view), "every layer shares one view, so the tensor decodes once");
        Assert.That(weights.Float("weight", 10, 30), Is.EqualTo(shared.Decode()));
        Assert.That(view.IsMaterialized, Is.False, "Float hands out its own copy");
        Assert.That(view.Values, Is.EqualTo(shared.Decode()));
        Assert.That(view.IsMaterialized, Is.True);
        Assert.That(weights.Weights("bias", 300).IsMaterialized, Is.True, "raw tensors are read at load");
        Assert.That(() => weights.Weights("weight", 30, 10), Throws.InstanceOf<InvalidDataException>().With.Message.Contain("[10, 30]"));

        // The file's CRC covers the cut payload, so only the payload's own checks can find it short; they run at load.
        var cut = shared with { Payload = shared.Payload[..^2] };
        GpucFile.Write(path, new CompressedModel(new Dictionary<string, string>(), [cut]));
        Assert.That(() => cut.Decode(), Throws.InstanceOf<InvalidDataException>(), "the cut must be one decoding finds");
        var error = Assert.Throws<InvalidDataException>(() => Gpu.Models.ModelWeights.Read(path))!;
        Assert.That(error.Message, Does.Contain(path).And.Contain("'weight'"));
    }

    private static byte[] ValidFile(string directory)
    {
        string path = Path.Combine(directory, "valid.gpuc");
        float[] w = Weights(400, 4);
        GpucFile.Write(path, new CompressedModel(new Dictionary<string, string> { ["architecture"] = "vdsr" },
            // "a" records kept channels, so the fuzz mutates a version-2 header field too.
            [CompressedTensor.SparseShared("a", [20, 20], w, MagnitudePruning.MaskBySparsity(w, 0.8), 4, 3) with { ChannelSelection = new ChannelSelection(23, [.. Enumerable.Range(2, 20)]) },
             CompressedTensor.Int8("b", [4, 100], w),
             ModelCompressor.Compress("c", [20, 20], w, new TensorPlan(0.3, 3, PruningGranularity.Channels))]));
        return File.ReadAllBytes(path);
    }

    private static string Refusal(ReadOnlySpan<byte> file)
    {
        try
        {
            var (_, tensors) = GpucFile.Parse(file);
            foreach (var t in tensors)
                t.Decode();
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
        return "";
    }

    [Test]
    public void MalformedFilesAreRefusedSayingWhy()
    {
        byte[] valid = ValidFile(directory);
        Assert.That(Refusal(valid), Is.Empty);
        Assert.That(Refusal(valid.AsSpan(0, 10)), Does.Contain("magic"));
        Assert.That(Refusal(valid.AsSpan(0, valid.Length - 5)), Does.Contain("outside"), "truncated payloads");
        Assert.That(Refusal(valid.AsSpan(0, 40)), Does.Contain("header claims"), "truncated header");

        byte[] badHeader = (byte[])valid.Clone();
        badHeader[20] ^= 0x10;
        Assert.That(Refusal(badHeader), Does.Contain("header's CRC-32"));

        byte[] badPayload = (byte[])valid.Clone();
        badPayload[^3] ^= 0x01;
        Assert.That(Refusal(badPayload), Does.Contain("CRC-32 mismatch"));

        byte[] hugeHeader = (byte[])valid.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(hugeHeader.AsSpan(8), uint.MaxValue);
        Assert.That(Refusal(hugeHeader), Does.Contain("header claims"));

        byte[] version = (byte[])valid.Clone();
        version[4] = 9;
        Assert.That(Refusal(version), Does.Contain("version 9"));
    }

    [Test]
    public void PayloadsThatContradictTheirShapeAreRefused()
    {
        float[] w = Weights(100, 5);
        var sparse = CompressedTensor.SparseShared("s", [100], w, MagnitudePruning.MaskBySparsity(w, 0.5), 4, 3);
        // More entries than the tensor has values (the count field follows the two bit widths).
        byte[] entries = (byte[])sparse.Payload.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(entries.AsSpan(2), 1_000_000_000);
        Assert.That(Message(sparse with { Payload = entries }), Does.Contain("entries for a tensor of 100"));
        // The same payload declared for a smaller tensor: the gaps walk past its end.
        Assert.That(Message(sparse with { Shape = [60] }), Does.Contain("entries for a tensor of 60").Or.Contain("lands at weight"));
        Assert.That(Message(CompressedTensor.Raw("r", [100], w) with { Shape = [101] }), Does.Contain("raw payload"));
        Assert.That(Message(CompressedTensor.Shared("h", [100], w, 3) with { Shape = [1_000_000, 1_000_000] }), Does.Contain("too large"));
        Assert.That(Message(CompressedTensor.Shared("h", [100], w, 3) with { Shape = [100_000] }), Does.Contain("cannot fit"));
        Assert.That(Message(CompressedTensor.Int8("i", [4, 25], w) with { Shape = [5, 20] }), Does.Contain("int8 payload"));

        static string Message(CompressedTensor tensor)
            => Assert.Throws<InvalidDataException>(() => tensor.Decode())!.Message;
    }

    [Test]
    public void MutatedFilesAndPayloadsOnlyEverFailCleanly()
    {
        // A few thousand mutations in CI; GPUC_FUZZ_SECONDS runs it longer by hand.
        double seconds = double.TryParse(Environment.GetEnvironmentVariable("GPUC_FUZZ_SECONDS"), out double s) ? s : 2;
        byte[] valid = ValidFile(directory);
        var (_, tensors) = GpucFile.Parse(valid);
        var random = new Random(7);
        var clock = Stopwatch.StartNew();
        long files = 0, payloads = 0, refused = 0, disagreements = 0;
        while (clock.Elapsed.TotalSeconds < seconds || files < 2000)
        {
            // Whole files: the CRCs catch most flips, so truncations and length fields are mutated too.
            if (Refusal(Mutate(valid, random)).Length > 0)
                refused++;
            files++;
            // Payloads past the CRC: what a decoder meets if a file's checksums were recomputed over garbage.
            // The loader checks a payload with Validate and decodes it later, so both must refuse alike.
            var mutated = tensors[random.Next(tensors.Count)] with { Payload = Mutate(tensors[random.Next(tensors.Count)].Payload, random) };
            bool decodeRefused = Refuses(() => mutated.Decode());
            if (decodeRefused)
                refused++;
            if (Refuses(mutated.Validate) != decodeRefused)
                disagreements++;
            payloads++;
        }
        TestContext.Out.WriteLine($"{files} mutated files and {payloads} mutated payloads in {clock.Elapsed.TotalSeconds:F1} s; {refused} refused, the rest decoded");
        Assert.That(refused, Is.GreaterThan(files / 2), "most mutations must be caught");
        Assert.That(disagreements, Is.Zero, "Validate refuses exactly the payloads Decode refuses");
    }

    private static bool Refuses(Action read)
    {
        try
        {
            read();
            return false;
        }
        catch (InvalidDataException)
        {
            return true;
        }
    }

    private static byte[] Mutate(byte[] source, Random random)
    {
        byte[] bytes = (byte[])source.Clone();
        switch (random.Next(4))
        {
            case 0:
                for (int i = random.Next(1, 4); i > 0; i--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1:
                return bytes[..random.Next(bytes.Length)];
            case 2:
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            default:
                int at = random.Next(Math.Max(1, bytes.Length - 4));
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), (uint)random.Next(int.MinValue, int.MaxValue));
                return bytes;
        }
    }
}
