using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using Gpu.Core;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;

namespace Gpu.Tests.Corpus;

/// <summary>Kernel sources compiled in memory by Roslyn at a chosen optimisation level, with a
/// portable PDB, and loaded once per level: how the corpus reaches Debug IL, which keeps values on
/// the stack across joins and spills every temporary.</summary>
public static class InMemoryKernels
{
    private static readonly ConcurrentDictionary<OptimizationLevel, Lazy<Assembly>> assemblies = new();

    /// <summary>The assembly built from <see cref="DebugReleaseKernels.Sources"/> at <paramref name="level"/>.</summary>
    public static Assembly Get(OptimizationLevel level)
        => assemblies.GetOrAdd(level, l => new Lazy<Assembly>(() => Compile(l, DebugReleaseKernels.Sources))).Value;

    /// <summary>Compiles <paramref name="sources"/> into an assembly and loads it with its symbols.</summary>
    /// <exception cref="InvalidOperationException">The sources do not compile; the message lists the diagnostics.</exception>
    public static Assembly Compile(OptimizationLevel level, IEnumerable<string> sources)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = sources.Select((source, i) => CSharpSyntaxTree.ParseText(SourceText.From(source, Encoding.UTF8), parseOptions, path: $"Kernel{i}.cs")).ToList();
        var compilation = CSharpCompilation.Create($"InMemoryKernels.{level}", trees, References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: level, allowUnsafe: false));
        using var image = new MemoryStream();
        using var symbols = new MemoryStream();
        var result = compilation.Emit(image, symbols, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb));
        if (!result.Success)
            throw new InvalidOperationException("Kernel sources do not compile:\n" + string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(image.ToArray(), symbols.ToArray());
    }

    // The runtime's own assemblies (the trusted platform list), Gpu.Core, whose interfaces kernels implement, and ILGPU, whose views they hold.
    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        string[] platform = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        string[] wanted = ["System.Private.CoreLib.dll", "System.Runtime.dll"];
        return
        [
            .. platform.Where(path => wanted.Contains(Path.GetFileName(path), StringComparer.OrdinalIgnoreCase)).Select(path => MetadataReference.CreateFromFile(path)),
            MetadataReference.CreateFromFile(typeof(IKernel1D).Assembly.Location),
            MetadataReference.CreateFromFile(typeof(ILGPU.ArrayView<>).Assembly.Location),
        ];
    });
}
