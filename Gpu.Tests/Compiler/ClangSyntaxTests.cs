using System.Diagnostics;
using Gpu.Core;
using Gpu.Core.Compiler;

namespace Gpu.Tests.Compiler;

/// <summary>An optional extra check: clang-14 parses every generated translation unit of every
/// kernel in the conformance and test assemblies as OpenCL C 1.2. Runs only where clang-14 is
/// installed; elsewhere it is skipped with that reason.</summary>
public sealed class ClangSyntaxTests
{
    private const string Clang = "/usr/bin/clang-14";

    private static readonly Type[] KernelInterfaces = [typeof(IKernel1D), typeof(IKernel2D), typeof(IKernel3D), typeof(IGroupKernel)];

    [OneTimeSetUp]
    public void FindClang()
    {
        if (!File.Exists(Clang))
            Assert.Ignore($"{Clang} is not installed; the generated C is then only checked by the device compilers");
    }

    [Test]
    public void EveryTranslatableKernelParses()
    {
        var sources = TranslatableKernels().ToList();
        Assert.That(sources, Has.Count.GreaterThan(40), "the conformance corpus and launch kernels should all translate");
        string directory = Directory.CreateTempSubdirectory("gpuc-clang-").FullName;
        try
        {
            string file = Path.Combine(directory, "kernels.cl");
            File.WriteAllText(file, OneTranslationUnit(sources));
            var (exitCode, output) = Run(["-x", "cl", "-cl-std=CL1.2", "-Xclang", "-finclude-default-header", "-fsyntax-only", "-Werror=implicit-function-declaration", file]);
            Assert.That(exitCode, Is.Zero, output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>All kernels in one file, so clang starts once: the prelude (identical in every
    /// source, the double-precision one being a superset) once, each struct typedef
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

    private static IEnumerable<GeneratedKernel> TranslatableKernels()
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
                kernel = KernelCompiler.Generate(type, shape, new KernelCompileOptions(Guarded: shape != KernelShape.Grouped, FastMath: false));
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
