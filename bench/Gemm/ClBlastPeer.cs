using System.Runtime.InteropServices;
using Gpu.Core;
using Gpu.Core.OpenCL;
using Gpu.Ops.Gemm;
using ILGPU;

namespace Gpu.Bench.Gemm;

/// <summary>CLBlast, the tuned OpenCL BLAS, as GEMM's peer on every OpenCL device: its C API
/// (<c>CLBlastSgemm</c>) called on the accelerator's own command queue and buffers, so its time
/// is measured exactly as ours. The library is optional (Debian <c>libclblast1</c>); where it
/// cannot be loaded <see cref="Unavailable"/> says why.</summary>
public static unsafe class ClBlastPeer
{
    private const int RowMajor = 101, NoTranspose = 111, Transpose = 112, Success = 0;

    /// <summary>The peer's name in reports.</summary>
    public const string Name = "CLBlast";

    private static readonly string[] LibraryNames = ["libclblast.so.1", "libclblast.so", "clblast", "libclblast.dylib"];

    private sealed record Library(nint Sgemm, string Version);

    private static readonly Lazy<(Library? Library, string? Unavailable)> library = new(Load);

    /// <summary>The library's version (from the file the loader mapped), or null where it is absent.</summary>
    public static string? Version => library.Value.Library?.Version;

    /// <summary>Why the peer cannot run here, or null where it can.</summary>
    public static string? Unavailable => library.Value.Unavailable;

    /// <summary>Whether CLBlast can run on <paramref name="accelerator"/>: an OpenCL one, with the library loaded.</summary>
    public static bool Supports(Accelerator accelerator) => accelerator is OpenCLAccelerator && library.Value.Library is not null;

    /// <summary>Queues C = op(A)·op(B) (row-major, α = 1, β = 0) on <paramref name="accelerator"/>'s
    /// command queue; like our own launches it returns before the device is done.</summary>
    /// <exception cref="NotSupportedException">The accelerator is not OpenCL, or CLBlast is absent.</exception>
    /// <exception cref="GpuException">CLBlast returned an error status.</exception>
    public static void Sgemm(Accelerator accelerator, GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c)
    {
        if (accelerator is not OpenCLAccelerator openCL)
            throw new NotSupportedException($"CLBlast runs on OpenCL devices, not {accelerator.Device.Name}");
        var sgemm = (delegate* unmanaged<int, int, int, nuint, nuint, nuint, float, nint, nuint, nuint, nint, nuint, nuint, float, nint, nuint, nuint, nint*, nint*, int>)(library.Value.Library?.Sgemm ?? throw new NotSupportedException($"CLBlast is unavailable: {Unavailable}"));
        accelerator.CheckView(a);
        accelerator.CheckView(b);
        accelerator.CheckView(c);
        // Leading dimensions of row-major storage: the stored row length of each operand.
        nuint lda = (nuint)(shape.TransposeA ? shape.M : shape.K), ldb = (nuint)(shape.TransposeB ? shape.K : shape.N);
        nint queue = openCL.CommandQueue;
        int status = sgemm(RowMajor, shape.TransposeA ? Transpose : NoTranspose, shape.TransposeB ? Transpose : NoTranspose,
            (nuint)shape.M, (nuint)shape.N, (nuint)shape.K, 1f, Memory(a), Offset(a), lda, Memory(b), Offset(b), ldb,
            0f, Memory(c), Offset(c), (nuint)shape.N, &queue, null);
        if (status != Success)
            throw new GpuException($"CLBlast status {status}", $"CLBlastSgemm {shape.M}×{shape.N}×{shape.K} on {accelerator.Device.Name} failed (clblast_c.h lists the status codes)");
    }

    // CLBlast takes a cl_mem and an element offset: the view's buffer handle (an OpenCL 1.2 engine buffer's
    // NativePtr is its cl_mem) and index.
    private static nint Memory(ArrayView<float> view) => ArrayViewParts<float>.Buffer(ref view)!.NativePtr;

    private static nuint Offset(ArrayView<float> view) => (nuint)ArrayViewParts<float>.Index(ref view);

    private static (Library?, string?) Load()
    {
        foreach (string name in LibraryNames)
        {
            if (!NativeLibrary.TryLoad(name, out nint handle))
                continue;
            if (!NativeLibrary.TryGetExport(handle, "CLBlastSgemm", out nint sgemm))
                return (null, $"{name} has no CLBlastSgemm export");
            return (new Library(sgemm, MappedVersion() ?? "unknown version"), null);
        }
        return (null, $"the CLBlast library is not installed (tried {string.Join(", ", LibraryNames)}; Debian: apt-get install libclblast1)");
    }

    /// <summary>The version in the file name of the mapped library (libclblast.so.1.5.3 → 1.5.3):
    /// CLBlast's C API has no version call, and its shared object carries the full release number.</summary>
    private static string? MappedVersion()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
            return null;
        string? path = File.ReadLines(maps).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault())
            .FirstOrDefault(p => p is not null && Path.GetFileName(p).StartsWith("libclblast.so.", StringComparison.Ordinal));
        return path is null ? null : Path.GetFileName(path)["libclblast.so.".Length..];
    }
}
