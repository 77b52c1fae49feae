using Gpu.Core.Cuda;

namespace Gpu.Tests.Cuda;

public sealed class KernelImageCacheTests
{
    private const string Source = "extern \"C\" __global__ void k(int* p) { p[0] = 1; }";
    private static readonly string[] DefaultOptions = ["--gpu-architecture=sm_90", "--fmad=false"];

    private string root = "";

    [SetUp]
    public void CreateRoot() => root = Directory.CreateTempSubdirectory("gpuc-cache-").FullName;

    [TearDown]
    public void DeleteRoot() => Directory.Delete(root, recursive: true);

    [Test]
    public void KeyIsStableForTheSameInputs()
        => Assert.That(KernelImageCache.Key(Source, "sm_90", DefaultOptions, "nvrtc 12.4"),
            Is.EqualTo(KernelImageCache.Key(Source, "sm_90", [.. DefaultOptions], "nvrtc 12.4")));

    [Test]
    public void KeyChangesWithEveryInput()
    {
        string baseline = KernelImageCache.Key(Source, "sm_90", DefaultOptions, "nvrtc 12.4");
        string[] variants =
        [
            KernelImageCache.Key(Source + " ", "sm_90", DefaultOptions, "nvrtc 12.4"),
            KernelImageCache.Key(Source, "sm_89", DefaultOptions, "nvrtc 12.4"),
            KernelImageCache.Key(Source, "compute_90", DefaultOptions, "nvrtc 12.4"),
            KernelImageCache.Key(Source, "sm_90", ["--gpu-architecture=sm_90", "--use_fast_math"], "nvrtc 12.4"),
            KernelImageCache.Key(Source, "sm_90", ["--fmad=false", "--gpu-architecture=sm_90"], "nvrtc 12.4"),
            KernelImageCache.Key(Source, "sm_90", ["--gpu-architecture=sm_90--fmad=false"], "nvrtc 12.4"),
            KernelImageCache.Key(Source, "sm_90", DefaultOptions, "nvrtc 12.8"),
        ];
        Assert.That(variants, Has.None.EqualTo(baseline));
        Assert.That(variants, Is.Unique);
    }

    [Test]
    public void WrittenImageReadsBackAndLeavesNoTemporaryFile()
    {
        var cache = new KernelImageCache(Path.Combine(root, "cuda"));
        byte[] image = [1, 2, 3, 0];
        Assert.That(cache.TryRead("abc", "ptx"), Is.Null);
        Assert.That(cache.TryWrite("abc", "ptx", image), Is.True);
        Assert.That(cache.TryRead("abc", "ptx"), Is.EqualTo(image));
        Assert.That(cache.TryRead("abc", "cubin"), Is.Null);
        Assert.That(Directory.GetFiles(cache.Directory).Select(Path.GetFileName), Is.EqualTo(new[] { "abc.ptx" }));
    }

    [Test]
    public void ConcurrentWritersNeverExposeAPartialEntry()
    {
        var cache = new KernelImageCache(root);
        // Large, distinct payloads: a non-atomic write would be seen half-written by the reader.
        var payloads = Enumerable.Range(1, 4).Select(p => Enumerable.Repeat((byte)p, 4 << 20).ToArray()).ToArray();
        using var done = new CancellationTokenSource();
        int torn = 0, reads = 0;
        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                if (cache.TryRead("entry", "cubin") is not { } read)
                    continue;
                reads++;
                if (read.Length != payloads[0].Length || read.Any(b => b != read[0]))
                    torn++;
            }
        });
        Parallel.For(0, 16, i => Assert.That(cache.TryWrite("entry", "cubin", payloads[i % payloads.Length]), Is.True));
        done.Cancel();
        reader.Wait();
        Assert.That(torn, Is.Zero, $"{torn} of {reads} reads saw a partial entry");
        Assert.That(Directory.GetFiles(root).Select(Path.GetFileName), Is.EqualTo(new[] { "entry.cubin" }));
    }

    [Test]
    public void UnwritableDirectoryIsReportedNotThrown()
    {
        string blocker = Path.Combine(root, "file");
        File.WriteAllText(blocker, "not a directory");
        var cache = new KernelImageCache(Path.Combine(blocker, "cuda"));
        Assert.That(cache.TryWrite("k", "ptx", [1]), Is.False);
        Assert.That(cache.TryRead("k", "ptx"), Is.Null);
    }

    [Test]
    public void DefaultDirectoryFollowsTheEnvironment()
    {
        string home = Path.Combine(root, "home");
        Assert.That(KernelImageCache.DefaultDirectory(_ => null, home, null), Is.EqualTo(Path.Combine(home, ".cache", "gpuc", "cuda")));
        Assert.That(KernelImageCache.DefaultDirectory(v => v == "XDG_CACHE_HOME" ? "/xdg" : null, home, null), Is.EqualTo(Path.Combine("/xdg", "gpuc", "cuda")));
        Assert.That(KernelImageCache.DefaultDirectory(v => v is "XDG_CACHE_HOME" ? "/xdg" : v is KernelImageCache.DirectoryVariable ? "/chosen" : null, home, null),
            Is.EqualTo(Path.Combine("/chosen", "cuda")));
        Assert.That(KernelImageCache.DefaultDirectory(_ => null, home, "/local-app-data"), Is.EqualTo(Path.Combine("/local-app-data", "gpuc", "cuda")));
    }
}
