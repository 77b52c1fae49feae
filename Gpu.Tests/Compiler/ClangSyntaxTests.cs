using System.Diagnostics;
using Gpu.Core;
using Gpu.Core.Compiler;

namespace Gpu.Tests.Compiler;

/// <summary>An optional extra check: clang-14 parses every generated translation unit of every
/// kernel in the conformance and test assemblies, as OpenCL C 1.2 and as CUDA C (against a stub
/// of the CUDA device declarations, since NVRTC's headers are not here). Runs only where clang-14
/// is installed; elsewhere it is skipped with that reason.</summary>
public sealed class ClangSyntaxTests
{
    private const string Clang = "/usr/bin/clang-14";

    /// <summary>The CUDA runtime declarations the generated code uses, for parsing only.</summary>
    private const string CudaStub = """
        #define __device__ __attribute__((device))
        #define __global__ __attribute__((global))
        #define __shared__ __attribute__((shared))
        #define __forceinline__ __inline__ __attribute__((always_inline))
        #include "__clang_cuda_builtin_vars.h"
        __device__ float __uint_as_float(unsigned int);
        __device__ unsigned int __float_as_uint(float);
        __device__ double __longlong_as_double(long long);
        __device__ long long __double_as_longlong(double);
        __device__ void __syncthreads(void);
        __device__ int __dp4a(int, int, int);
        #define GPUC_ATOMICS(T) \
            __device__ T atomicAdd(T*, T); __device__ T atomicMin(T*, T); __device__ T atomicMax(T*, T); \
            __device__ T atomicExch(T*, T); __device__ T atomicCAS(T*, T, T);
        GPUC_ATOMICS(int)
        GPUC_ATOMICS(unsigned int)
        __device__ float atomicAdd(float*, float);
        __device__ float atomicExch(float*, float);
        #define GPUC_SHUFFLES(T) \
            __device__ T __shfl_sync(unsigned, T, int); __device__ T __shfl_down_sync(unsigned, T, int); \
            __device__ T __shfl_up_sync(unsigned, T, int); __device__ T __shfl_xor_sync(unsigned, T, int);
        GPUC_SHUFFLES(int)
        GPUC_SHUFFLES(float)
        #define GPUC_UNARY(name) __device__ float name##f(float); __device__ double name(double);
        #define GPUC_BINARY(name) __device__ float name##f(float, float); __device__ double name(double, double);
        GPUC_UNARY(sqrt) GPUC_UNARY(exp) GPUC_UNARY(log) GPUC_UNARY(log2) GPUC_UNARY(log10) GPUC_UNARY(sin)
        GPUC_UNARY(cos) GPUC_UNARY(tan) GPUC_UNARY(asin) GPUC_UNARY(acos) GPUC_UNARY(atan) GPUC_UNARY(sinh)
        GPUC_UNARY(cosh) GPUC_UNARY(tanh) GPUC_UNARY(cbrt) GPUC_UNARY(floor) GPUC_UNARY(ceil) GPUC_UNARY(trunc)
        GPUC_UNARY(rint) GPUC_UNARY(round) GPUC_UNARY(fabs)
        GPUC_BINARY(pow) GPUC_BINARY(atan2) GPUC_BINARY(copysign) GPUC_BINARY(fmod)
        __device__ float fmaf(float, float, float); __device__ double fma(double, double, double);
        """;

    private static readonly Type[] KernelInterfaces = [typeof(IKernel1D), typeof(IKernel2D), typeof(IKernel3D), typeof(IGroupKernel)];

    [OneTimeSetUp]
    public void FindClang()
    {
        if (!File.Exists(Clang))
            Assert.Ignore($"{Clang} is not installed; the generated C is then only checked by the device compilers");
    }

    [TestCase(KernelDialect.OpenCL)]
    [TestCase(KernelDialect.Cuda)]
    public void EveryTranslatableKernelParses(KernelDialect dialect)
    {
        var sources = TranslatableKernels(dialect).ToList();
        Assert.That(sources, Has.Count.GreaterThan(40), "the conformance corpus and launch kernels should all translate");
        string directory = Directory.CreateTempSubdirectory("gpuc-clang-").FullName;
        try
        {
            string file = Path.Combine(directory, dialect == KernelDialect.Cuda ? "kernels.cu" : "kernels.cl");
            File.WriteAllText(file, OneTranslationUnit(sources));
            string stub = Path.Combine(directory, "cuda_stub.h");
            File.WriteAllText(stub, CudaStub);
            string[] flags = dialect == KernelDialect.Cuda
                ? ["-x", "cuda", "--cuda-device-only", "-nocudainc", "-nocudalib", "--cuda-gpu-arch=sm_70", "-include", stub]
                : ["-x", "cl", "-cl-std=CL1.2", "-Xclang", "-finclude-default-header"];
            var (exitCode, output) = Run([.. flags, "-fsyntax-only", "-Werror=implicit-function-declaration", file]);
            Assert.That(exitCode, Is.Zero, output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>All kernels in one file, so clang starts once: the prelude (identical in every
    /// source of a dialect, the double-precision one being a superset) once, each struct typedef
    /// once, then every kernel's device functions and entry point.</summary>
    private static string OneTranslationUnit(List<GeneratedKernel> kernels)
    {
        static bool StartsBody(string line) => line.StartsWith("/* the kernel ", StringComparison.Ordinal);
        var fullest = kernels.FirstOrDefault(k => k.UsesDouble) ?? kernels[0];
        var lines = fullest.Source.Split('\n');
        var unit = new List<string>(lines.TakeWhile(line => !StartsBody(line)));
        var typedefs = new HashSet<string>();
        foreach (var kernel in kernels)
            foreach (string line in kernel.Source.Split('\n').SkipWhile(line => !StartsBody(line)))
                if (!line.StartsWith("typedef struct {", StringComparison.Ordinal) || typedefs.Add(line))
                    unit.Add(line);
        return string.Join('\n', unit);
    }

    private static IEnumerable<GeneratedKernel> TranslatableKernels(KernelDialect dialect)
    {
        var assemblies = new[] { typeof(Gpu.Conformance.ConformanceSuite).Assembly, typeof(ClangSyntaxTests).Assembly };
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsValueType && !t.ContainsGenericParameters))
        {
            var contract = KernelInterfaces.FirstOrDefault(i => i.IsAssignableFrom(type));
            if (contract is null)
                continue;
            var shape = Array.IndexOf(KernelInterfaces, contract) switch { 0 => KernelShape.OneD, 1 => KernelShape.TwoD, 2 => KernelShape.ThreeD, _ => KernelShape.Grouped };
            GeneratedKernel? kernel = null;
            try
            {
                kernel = KernelCompiler.Generate(type, shape, dialect, new KernelCompileOptions(Guarded: shape != KernelShape.Grouped, FastMath: false));
            }
            catch (KernelCompilationException)
            {
                // The kernels written to be refused (UnsupportedConstructTests) are refused there.
            }
            if (kernel is not null)
                yield return kernel;
        }
    }

    private static (int ExitCode, string Output) Run(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Clang) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + errors.Result);
    }
}
