using System.Buffers.Binary;
using Gpu.Media;
using Gpu.Media.Files;
using Gpu.Media.Frames;
using Gpu.Media.Images;
using Gpu.Media.Pipeline;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Gpu.Tests.Media;

public sealed class ImageCodecTests
{
    private string directory = "";
    private readonly FrameBatchPool pool = new();

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("gpuc-images").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    private string PathOf(string name) => Path.Combine(directory, name);

    private static Image<Rgb24> Noise(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        return image;
    }

    private static Image<Rgb24> Gradient(int width, int height) =>
        Fill(new Image<Rgb24>(width, height), (x, y) => new Rgb24((byte)(x * 255 / (width - 1)), (byte)(y * 255 / (height - 1)), 128));

    private static Image<Rgb24> Fill(Image<Rgb24> image, Func<int, int, Rgb24> pixel)
    {
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                image[x, y] = pixel(x, y);
        return image;
    }

    private static void AssertFrameMatches(FrameBatch batch, Image<Rgb24> expected, float tolerance = 0)
    {
        Assert.That(batch.Format.Size, Is.EqualTo(new FrameSize(expected.Width, expected.Height)));
        var red = batch.Plane(0, 0).ToArray();
        var blue = batch.Plane(0, 2).ToArray();
        for (int y = 0; y < expected.Height; y++)
            for (int x = 0; x < expected.Width; x++)
            {
                Assert.That(red[y * expected.Width + x], Is.EqualTo(expected[x, y].R / 255f).Within(tolerance), $"R at ({x}, {y})");
                Assert.That(blue[y * expected.Width + x], Is.EqualTo(expected[x, y].B / 255f).Within(tolerance), $"B at ({x}, {y})");
            }
    }

    private static double MeanAbsoluteError(Image<Rgb24> a, Image<Rgb24> b)
    {
        double sum = 0;
        for (int y = 0; y < a.Height; y++)
            for (int x = 0; x < a.Width; x++)
                sum += Math.Abs(a[x, y].R - b[x, y].R) + Math.Abs(a[x, y].G - b[x, y].G) + Math.Abs(a[x, y].B - b[x, y].B);
        return sum / (3.0 * a.Width * a.Height);
    }

    [Test]
    public void EightBitPngRoundTripsExactly()
    {
        using var original = Noise(37, 23, 1);
        original.SaveAsPng(PathOf("in.png"));

        using var batch = ImageCodec.Read(PathOf("in.png"), pool);
        Assert.That(batch.Format.Depth, Is.EqualTo(SampleDepth.Bits8));
        AssertFrameMatches(batch, original);
        ImageCodec.Write(batch, 0, PathOf("out.png"));

        using var written = Image.Load<Rgb24>(PathOf("out.png"));
        Assert.That(ImageCodec.Identify(PathOf("out.png")).Depth, Is.EqualTo(SampleDepth.Bits8));
        Assert.That(MeanAbsoluteError(original, written), Is.Zero);
    }

    [Test]
    public void SixteenBitPngKeepsEverySampleValueThroughFloats()
    {
        // 256 × 256 pixels: red takes every one of the 65536 values once.
        using var original = new Image<Rgb48>(256, 256);
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
            {
                int k = y * 256 + x;
                original[x, y] = new Rgb48((ushort)k, (ushort)(65535 - k), (ushort)(k * 7 % 65536));
            }
        original.SaveAsPng(PathOf("deep.png"), new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });

        using var batch = ImageCodec.Read(PathOf("deep.png"), pool);
        Assert.That(batch.Format.Depth, Is.EqualTo(SampleDepth.Bits16));
        Assert.That(batch.Plane(0, 0)[1], Is.EqualTo(1 / 65535f));
        ImageCodec.Write(batch, 0, PathOf("deep-out.png"));

        Assert.That(ImageCodec.Identify(PathOf("deep-out.png")).Depth, Is.EqualTo(SampleDepth.Bits16));
        using var written = Image.Load<Rgb48>(PathOf("deep-out.png"));
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
                Assert.That(written[x, y], Is.EqualTo(original[x, y]), $"({x}, {y})");
    }

    [Test]
    public void SixteenBitSourcesWrittenAsJpegBecomeEightBit()
    {
        using var original = new Image<Rgb48>(16, 16);
        original.SaveAsPng(PathOf("deep.png"), new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });
        using var batch = ImageCodec.Read(PathOf("deep.png"), pool);

        ImageCodec.Write(batch, 0, PathOf("out.jpg"));

        Assert.That(ImageCodec.Identify(PathOf("out.jpg")), Is.EqualTo(new ImageInfo(new FrameSize(16, 16), SampleDepth.Bits8, "JPEG")));
    }

    // Quality 95 on a smooth gradient: the mean error stays under one level in 255 and no sample moves by more than 8.
    [Test]
    public void JpegRoundTripsWithinTheStatedTolerance()
    {
        using var original = Gradient(64, 48);
        original.SaveAsPng(PathOf("in.png"));
        using var batch = ImageCodec.Read(PathOf("in.png"), pool);

        ImageCodec.Write(batch, 0, PathOf("out.jpg"), new ImageEncodeOptions { Quality = 95 });

        using var written = Image.Load<Rgb24>(PathOf("out.jpg"));
        Assert.That(MeanAbsoluteError(original, written), Is.LessThan(1.0));
        using var decoded = ImageCodec.Read(PathOf("out.jpg"), pool);
        AssertFrameMatches(decoded, original, tolerance: 8 / 255f);
    }

    [Test]
    public void JpegQualityChangesTheOutput()
    {
        using var original = Noise(64, 64, 3);
        original.SaveAsPng(PathOf("in.png"));
        using var batch = ImageCodec.Read(PathOf("in.png"), pool);

        ImageCodec.Write(batch, 0, PathOf("low.jpg"), new ImageEncodeOptions { Quality = 10 });
        ImageCodec.Write(batch, 0, PathOf("high.jpg"), new ImageEncodeOptions { Quality = 98 });

        Assert.That(new FileInfo(PathOf("low.jpg")).Length, Is.LessThan(new FileInfo(PathOf("high.jpg")).Length / 2));
    }

    [Test]
    public void WebpLosslessRoundTripsExactlyAndLossyWithinTolerance()
    {
        using var original = Gradient(40, 30);
        original.SaveAsPng(PathOf("in.png"));
        using var batch = ImageCodec.Read(PathOf("in.png"), pool);

        ImageCodec.Write(batch, 0, PathOf("lossless.webp"), new ImageEncodeOptions { WebpLossless = true });
        ImageCodec.Write(batch, 0, PathOf("lossy.webp"), new ImageEncodeOptions { Quality = 95 });

        using (var lossless = ImageCodec.Read(PathOf("lossless.webp"), pool))
            AssertFrameMatches(lossless, original);
        using var lossy = Image.Load<Rgb24>(PathOf("lossy.webp"));
        Assert.That(MeanAbsoluteError(original, lossy), Is.LessThan(3.0));
    }

    [TestCase("bmp")]
    [TestCase("tiff")]
    [TestCase("webp")]
    [TestCase("gif")]
    public void LosslessInputFormatsDecodeExactly(string format)
    {
        // Four colours, so GIF's palette holds the image exactly.
        using var original = Fill(new Image<Rgb24>(20, 12), (x, y) => ((x / 5 + y / 6) % 4) switch
        {
            0 => new Rgb24(255, 0, 0), 1 => new Rgb24(0, 255, 0), 2 => new Rgb24(0, 0, 255), _ => new Rgb24(10, 20, 30),
        });
        string path = PathOf("in." + format);
        switch (format)
        {
            case "bmp": original.SaveAsBmp(path); break;
            case "tiff": original.SaveAsTiff(path); break;
            case "webp": original.SaveAsWebp(path, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }); break;
            default: original.SaveAsGif(path); break;
        }

        using var batch = ImageCodec.Read(path, pool);

        AssertFrameMatches(batch, original);
    }

    [Test]
    public void AnAnimatedGifGivesItsFirstFrame()
    {
        using var animation = Fill(new Image<Rgb24>(8, 8), (_, _) => new Rgb24(255, 0, 0));
        using var second = Fill(new Image<Rgb24>(8, 8), (_, _) => new Rgb24(0, 0, 255));
        animation.Frames.AddFrame(second.Frames.RootFrame);
        animation.SaveAsGif(PathOf("anim.gif"));

        using var batch = ImageCodec.Read(PathOf("anim.gif"), pool);

        Assert.That(batch.Plane(0, 0).ToArray(), Is.All.EqualTo(1f));
        Assert.That(batch.Plane(0, 2).ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void ExifOrientationIsApplied()
    {
        // Stored 40 × 20, left half red and right half blue; orientation 6 means "rotate 90° clockwise
        // to display", so the displayed image is 20 × 40 with the red half on top.
        using var stored = Fill(new Image<Rgb24>(40, 20), (x, _) => x < 20 ? new Rgb24(255, 0, 0) : new Rgb24(0, 0, 255));
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        stored.SaveAsJpeg(PathOf("rotated.jpg"), new JpegEncoder { Quality = 100 });

        Assert.That(ImageCodec.Identify(PathOf("rotated.jpg")).Size, Is.EqualTo(new FrameSize(40, 20)), "the header gives the stored size");
        using var batch = ImageCodec.Read(PathOf("rotated.jpg"), pool);

        Assert.That(batch.Format.Size, Is.EqualTo(new FrameSize(20, 40)));
        var red = batch.Plane(0, 0);
        Assert.That(red[5 * 20 + 10], Is.GreaterThan(0.9f), "top half red");
        Assert.That(red[35 * 20 + 10], Is.LessThan(0.1f), "bottom half blue");
    }

    [Test]
    public void ImagesOverThePixelLimitAreRefusedFromTheirHeader()
    {
        // A PNG whose header claims 20000 × 20000 and holds no pixel data: only Identify can have read it.
        File.WriteAllBytes(PathOf("huge.png"), PngHeaderOnly(20000, 20000));

        var error = Assert.Throws<MediaException>(() => ImageCodec.Read(PathOf("huge.png"), pool));

        Assert.That(error!.Message, Does.Contain("20000x20000").And.Contain("400,000,000 pixels").And.Contain("268,435,456"));
    }

    [Test]
    public void ThePixelLimitIsConfigurable()
    {
        using var image = Noise(30, 20, 2);
        image.SaveAsPng(PathOf("small.png"));

        Assert.That(() => ImageCodec.Read(PathOf("small.png"), pool, new ImageDecodeOptions { MaxPixels = 599 }),
            Throws.InstanceOf<MediaException>().With.Message.Contains("over the limit of 599"));
        using var batch = ImageCodec.Read(PathOf("small.png"), pool, new ImageDecodeOptions { MaxPixels = 600 });
        Assert.That(batch.Format.Size.Pixels, Is.EqualTo(600));
    }

    private static byte[] PngHeaderOnly(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;   // bits per sample
        ihdr[9] = 2;   // RGB
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(file, "IHDR", ihdr);
        WriteChunk(file, "IEND", []);
        return file.ToArray();
    }

    private static void WriteChunk(Stream file, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        file.Write(word);
        byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        file.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        file.Write(word);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    [TestCase("truncated", "corrupt or truncated PNG")]
    [TestCase("bad-crc", "CRC")]
    [TestCase("text", "not an image in a supported format")]
    public async Task CorruptInputsFailClearlyAndLeaveNoOutput(string corruption, string expected)
    {
        using (var image = Noise(64, 64, 5))
            image.SaveAsPng(PathOf("good.png"));
        byte[] png = File.ReadAllBytes(PathOf("good.png"));
        byte[] bad = corruption switch
        {
            "truncated" => png[..(png.Length / 2)],
            // Flip a byte inside the first IDAT chunk's data, which its CRC no longer matches.
            "bad-crc" => Corrupt(png, IndexOf(png, "IDAT"u8) + 20),
            _ => "this is not a picture\n"u8.ToArray(),
        };
        File.WriteAllBytes(PathOf("bad.png"), bad);
        string outputs = PathOf("out");

        var error = await Assert.ThrowsAsync<MediaException>(() => RunImages([PathOf("good.png"), PathOf("bad.png")],
            [Path.Combine(outputs, "good.png"), Path.Combine(outputs, "bad.png")]));

        Assert.That(error!.Message, Does.Contain("bad.png").And.Contain(expected));
        Assert.That(Directory.GetFiles(outputs).Select(Path.GetFileName), Is.EqualTo(new[] { "good.png" }),
            "the finished output stays; the failed one and every temporary are gone");
    }

    private static byte[] Corrupt(byte[] data, int at)
    {
        var copy = (byte[])data.Clone();
        copy[at] ^= 0x5A;
        return copy;
    }

    private static int IndexOf(byte[] data, ReadOnlySpan<byte> pattern) => data.AsSpan().IndexOf(pattern);

    private async Task RunImages(IReadOnlyList<string> inputs, IReadOnlyList<string> outputs,
        ExistingOutputPolicy policy = ExistingOutputPolicy.Refuse)
    {
        using var source = new ImageFileSource(inputs);
        using var sink = new ImageFileSink(outputs, policy: policy);
        await FramePipeline.RunAsync(source, TestProcessors.Identity(), sink, new FramePipelineOptions { Pool = pool });
    }

    [Test]
    public void UnsupportedOutputExtensionsAreRefusedByName()
    {
        using var image = Noise(4, 4, 1);
        image.SaveAsPng(PathOf("in.png"));
        using var batch = ImageCodec.Read(PathOf("in.png"), pool);

        Assert.That(() => ImageCodec.Write(batch, 0, PathOf("out.bmp")),
            Throws.InstanceOf<MediaException>().With.Message.Contains("cannot write '.bmp'"));
        Assert.That(Directory.GetFiles(directory), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task ExistingOutputsAreRefusedUnlessOverwriteIsAsked()
    {
        using (var image = Noise(6, 6, 9))
            image.SaveAsPng(PathOf("in.png"));
        File.WriteAllText(PathOf("out.png"), "old");

        var error = await Assert.ThrowsAsync<MediaException>(() => RunImages([PathOf("in.png")], [PathOf("out.png")]));
        Assert.That(error!.Message, Does.Contain("out.png exists"));
        Assert.That(File.ReadAllText(PathOf("out.png")), Is.EqualTo("old"));

        await RunImages([PathOf("in.png")], [PathOf("out.png")], ExistingOutputPolicy.Overwrite);
        Assert.That(ImageCodec.Identify(PathOf("out.png")).Size, Is.EqualTo(new FrameSize(6, 6)));
        Assert.That(Directory.GetFiles(directory), Has.Length.EqualTo(2), "no temporary left");
    }
}
