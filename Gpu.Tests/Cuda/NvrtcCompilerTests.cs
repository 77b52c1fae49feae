using System.Text;
using Gpu.Core;
using Gpu.Core.Compiler;
using Gpu.Core.Cuda;
using Gpu.Core.Cuda.Native;

namespace Gpu.Tests.Cuda;

/// <summary>NVRTC needs no GPU: these run wherever the library is found, and are skipped with the
/// search's reason elsewhere.</summary>
public sealed class NvrtcCompilerTests
{
    private const string MultiplyAdd = """
        extern "C" __global__ void multiply_add(float* result, const float* a, const float* b, const float* c)
        {
            result[threadIdx.x] = a[threadIdx.x] * b[threadIdx.x] + c[threadIdx.x];
        }
        """;

    private static readonly CudaTarget Ptx = new(75, Cubin: false);

    private NvrtcApi nvrtc = null!;
    private string cacheDirectory = "";

    [OneTimeSetUp]
    public void FindNvrtc()
    {
        var driver = CudaDriverApi.TryGet(out _);
        nvrtc = NvrtcApi.TryGet(driver is { DriverVersion: > 0 } ? driver.DriverVersion / 1000 : null, out string? failure)
            ?? throw new IgnoreException($"no NVRTC: {failure}");
    }

    [SetUp]
    public void CreateCache() => cacheDirectory = Directory.CreateTempSubdirectory("gpuc-nvrtc-cache-").FullName;

    [TearDown]
    public void DeleteCache() => Directory.Delete(cacheDirectory, recursive: true);

    [Test]
    public void ContractionIsOffUnlessFastMathIsAsked()
    {
        string exact = PtxOf(Kernel(MultiplyAdd, fastMath: false));
        string fast = PtxOf(Kernel(MultiplyAdd, fastMath: true));
        Assert.That(exact, Does.Contain(".entry multiply_add").And.Contain("mul.rn.f32").And.Not.Contain("fma.rn"));
        Assert.That(fast, Does.Contain("fma.rn"));
    }

    [Test]
    public void CompileErrorCarriesTheLogAndTheSource()
    {
        var broken = Kernel("extern \"C\" __global__ void broken(int* p) { p[0] = undeclared; }", fastMath: false);
        var error = Assert.Throws<KernelBuildException>(() => new NvrtcCompiler(nvrtc, new KernelImageCache(cacheDirectory), Ptx).Compile(broken))!;
        Assert.That(error.ErrorName, Is.EqualTo("NVRTC_ERROR_COMPILATION"));
        Assert.That(error.BuildLog, Does.Contain("undeclared"));
        Assert.That(error.GeneratedSource, Is.EqualTo(broken.Source));
        Assert.That(Directory.GetFiles(cacheDirectory), Is.Empty);
    }

    [Test]
    public void SecondCompileIsServedFromTheCache()
    {
        var cache = new KernelImageCache(cacheDirectory);
        var kernel = Kernel(MultiplyAdd, fastMath: false);
        var first = new NvrtcCompiler(nvrtc, cache, Ptx).Compile(kernel);
        string entry = Directory.GetFiles(cacheDirectory).Single();
        Assert.That(entry, Does.EndWith(".ptx"));
        Assert.That(File.ReadAllBytes(entry), Is.EqualTo(first.Bytes));
        // Replace the entry: a cache hit must return it instead of compiling again.
        File.WriteAllText(entry, "// cached");
        var second = new NvrtcCompiler(nvrtc, cache, Ptx).Compile(kernel);
        Assert.That(Encoding.UTF8.GetString(second.Bytes), Is.EqualTo("// cached\0"));
    }

    private string PtxOf(GeneratedKernel kernel)
        => Encoding.UTF8.GetString(new NvrtcCompiler(nvrtc, new KernelImageCache(cacheDirectory), Ptx).Compile(kernel).Bytes).TrimEnd('\0');

    private static GeneratedKernel Kernel(string source, bool fastMath) => new()
    {
        KernelType = typeof(NvrtcCompilerTests),
        EntryPoint = source[(source.IndexOf("void ", StringComparison.Ordinal) + 5)..source.IndexOf('(')],
        Source = source,
        Dialect = KernelDialect.Cuda,
        Shape = KernelShape.OneD,
        Options = new KernelCompileOptions(Guarded: false, FastMath: fastMath),
        Parameters = [],
        SharedMemoryBytes = 0,
        UsesDouble = false,
    };
}
