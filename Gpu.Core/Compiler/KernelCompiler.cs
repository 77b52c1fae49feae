using System.Collections.Concurrent;

namespace Gpu.Core.Compiler;

/// <summary>Translates kernel structs from their IL into OpenCL C 1.2 for the OpenCL engine.</summary>
public static class KernelCompiler
{
    /// <summary>The environment variable naming a directory where every generated translation
    /// unit is written, for inspection.</summary>
    public const string DumpVariable = "GPUC_DUMP_KERNELS";

    private static readonly ConcurrentDictionary<(Type Kernel, KernelShape Shape, KernelCompileOptions Options), Lazy<GeneratedKernel>> Cache = new();

    /// <summary>Translates the <c>Execute</c> method of <paramref name="kernelType"/> and every
    /// method it calls into one OpenCL C translation unit. Results are cached per (type, shape,
    /// options); with <see cref="DumpVariable"/> set, the source is written to that directory.</summary>
    /// <param name="kernelType">A struct implementing the interface named by <paramref name="shape"/>.</param>
    /// <param name="shape">The kernel interface.</param>
    /// <param name="options">Options that change the code.</param>
    /// <returns>The generated kernel.</returns>
    /// <exception cref="KernelCompilationException">The kernel uses something that cannot run on a device.</exception>
    public static GeneratedKernel Generate(Type kernelType, KernelShape shape, KernelCompileOptions options)
    {
        ArgumentNullException.ThrowIfNull(kernelType);
        var kernel = Cache.GetOrAdd((kernelType, shape, options),
            key => new Lazy<GeneratedKernel>(() => Translate(key.Kernel, key.Shape, key.Options))).Value;
        Dump(kernel);
        return kernel;
    }

    private static GeneratedKernel Translate(Type kernelType, KernelShape shape, KernelCompileOptions options)
    {
        var translated = KernelTranslator.Translate(kernelType, shape, options);
        string entryPoint = translated.Function.Name;
        return new GeneratedKernel
        {
            KernelType = kernelType,
            EntryPoint = entryPoint,
            Source = new CEmitter().Emit(translated, options),
            Shape = shape,
            Options = options,
            Parameters = translated.Parameters,
            SharedMemoryBytes = translated.SharedMemoryBytes,
            UsesDouble = translated.UsesDouble,
        };
    }

    /// <summary>A C identifier naming the kernel type and the variant.</summary>
    internal static string EntryPointName(Type kernelType, KernelCompileOptions options)
        => $"gpuc_{KernelTypes.Identifier(KernelTypes.Describe(kernelType))}{(options.Guarded ? "_guarded" : "")}{(options.FastMath ? "_fast" : "")}";

    private static void Dump(GeneratedKernel kernel)
    {
        string? directory = Environment.GetEnvironmentVariable(DumpVariable);
        if (string.IsNullOrWhiteSpace(directory))
            return;
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, $"{kernel.EntryPoint}.cl"), kernel.Source);
    }
}
