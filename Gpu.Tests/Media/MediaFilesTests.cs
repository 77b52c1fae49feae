using Gpu.Media;
using Gpu.Media.Files;
using Gpu.Media.Frames;
using Gpu.Media.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Gpu.Tests.Media;

public sealed class MediaFilesTests
{
    private string directory = "";

    [SetUp]
    public void CreateDirectory() => directory = Directory.CreateTempSubdirectory("gpuc-files").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(directory, recursive: true);

    private string Touch(string relative)
    {
        string path = Path.Combine(directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "");
        return path;
    }

    [Test]
    public void FoldersAreListedRecursivelySortedAndByKind()
    {
        foreach (string name in new[] { "b.png", "a/z.JPG", "a/c.webp", "B.tiff", "notes.txt", "clip.mp4", "a/deep/x.gif", ".b.1234abcd.gpuc-partial.png" })
            Touch(name);

        var images = MediaFiles.List(directory, MediaKind.Image);

        Assert.That(images, Is.EqualTo(new[] { "B.tiff", Path.Combine("a", "c.webp"), Path.Combine("a", "deep", "x.gif"), Path.Combine("a", "z.JPG"), "b.png" }),
            "ordinal order, temporaries of interrupted runs left out");
        Assert.That(MediaFiles.List(directory, MediaKind.Video), Is.EqualTo(new[] { "clip.mp4" }));
        Assert.That(MediaFiles.KindOf("notes.txt"), Is.EqualTo(MediaKind.Unknown));
        Assert.That(() => MediaFiles.List(Path.Combine(directory, "missing"), MediaKind.Image), Throws.InstanceOf<MediaException>());
    }

    [Test]
    public void OutputsKeepTheRelativePathAndMayChangeTheExtension()
    {
        Assert.That(MediaFiles.OutputPath("out", Path.Combine("a", "b.tiff")), Is.EqualTo(Path.Combine("out", "a", "b.tiff")));
        Assert.That(MediaFiles.OutputPath("out", Path.Combine("a", "b.tiff"), ".png"), Is.EqualTo(Path.Combine("out", "a", "b.png")));
        Assert.That(() => MediaFiles.OutputPath("out", Path.Combine("..", "escape.png")), Throws.ArgumentException);
    }

    [TestCase(10, 3)]
    [TestCase(2, 5)]
    [TestCase(0, 4)]
    [TestCase(7, 1)]
    public void ShardsCoverTheListOnceInOrderAndDifferInSizeByAtMostOne(int items, int shards)
    {
        var list = Enumerable.Range(0, items).ToList();

        var slices = Enumerable.Range(0, shards).Select(i => MediaFiles.Shard(list, i, shards)).ToList();

        Assert.That(slices.SelectMany(s => s), Is.EqualTo(list));
        Assert.That(slices.Max(s => s.Count) - slices.Min(s => s.Count), Is.LessThanOrEqualTo(1));
        Assert.That(() => MediaFiles.Shard(list, shards, shards), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public async Task ResumeSkipsFinishedImagesAndWritesTheRest()
    {
        var items = new List<MediaItem>();
        for (int k = 0; k < 3; k++)
        {
            string input = Path.Combine(directory, "in", $"{k}.png");
            Directory.CreateDirectory(Path.GetDirectoryName(input)!);
            using (var image = new Image<Rgb24>(4 + k, 4))
                image.SaveAsPng(input);
            items.Add(new MediaItem(input, Path.Combine(directory, "out", "sub", $"{k}.png")));
        }
        Directory.CreateDirectory(Path.Combine(directory, "out", "sub"));
        File.WriteAllText(items[1].Output, "finished earlier");

        var report = await MediaJobs.RunImagesAsync(items, [TestProcessors.Identity()],
            new MediaRunOptions { ExistingOutput = ExistingOutputPolicy.Skip, Pipeline = new() { BatchSize = 2 } });

        Assert.That(report!.Frames, Is.EqualTo(2));
        Assert.That(File.ReadAllText(items[1].Output), Is.EqualTo("finished earlier"));
        Assert.That(ImageCodec.Identify(items[2].Output).Size, Is.EqualTo(new FrameSize(6, 4)), "each image keeps its own size");
        Assert.That(await MediaJobs.RunImagesAsync(items, [TestProcessors.Identity()],
            new MediaRunOptions { ExistingOutput = ExistingOutputPolicy.Skip }), Is.Null, "nothing left to do");
    }
}

public sealed class PixelConversionTests
{
    [Test]
    public void BytesBecomeUnitFloatsAndComeBackExactly()
    {
        var size = new FrameSize(256, 1);
        byte[] rgb = Enumerable.Range(0, 3 * 256).Select(i => (byte)(i / 3)).ToArray();
        var planar = new float[3 * 256];

        PixelConversion.FrameToPlanar(rgb, size, planar);
        var back = new byte[rgb.Length];
        PixelConversion.FrameToInterleaved(planar, size, back);

        Assert.That(planar[255], Is.EqualTo(1f));
        Assert.That(planar[256 + 51], Is.EqualTo(51 / 255f), "the green plane follows the red");
        Assert.That(back, Is.EqualTo(rgb));
    }

    [Test]
    public void OutOfRangeAndNaNOutputsAreClampedAndRounded()
    {
        var size = new FrameSize(2, 1);
        float[] planar = [-0.5f, 1.5f, float.NaN, 0.5f / 255f, 127.49f / 255f, 1f];
        var bytes = new byte[6];
        var words = new ushort[6];

        PixelConversion.FrameToInterleaved(planar, size, bytes);
        PixelConversion.FrameToInterleaved(planar, size, words);

        // Pixel 0 is (R −0.5, G NaN, B 127.49/255); pixel 1 is (R 1.5, G 0.5/255, B 1).
        Assert.That(bytes, Is.EqualTo(new byte[] { 0, 0, 127, 255, 1, 255 }));
        Assert.That(words[0..2], Is.EqualTo(new ushort[] { 0, 0 }));
        Assert.That(words[3..6], Is.EqualTo(new ushort[] { 65535, 129, 65535 }));
    }
}
