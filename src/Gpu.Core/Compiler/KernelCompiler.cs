namespace Gpu.Core.Compiler;

/// <summary>Translates kernel structs from their IL into C for a device compiler.</summary>
public static class KernelCompiler
{
    /// <summary>Translates the <c>Execute</c> method of <paramref name="kernelType"/> and every
    /// static method it calls into one C translation unit.</summary>
    /// <param name="kernelType">A struct implementing the interface named by <paramref name="shape"/>.</param>
    /// <param name="shape">The kernel interface.</param>
    /// <param name="dialect">The C dialect to emit.</param>
    /// <param name="options">Options that change the code.</param>
    /// <returns>The generated kernel.</returns>
    /// <exception cref="KernelCompilationException">The kernel uses something that cannot run on a device.</exception>
    public static GeneratedKernel Generate(Type kernelType, KernelShape shape, KernelDialect dialect, KernelCompileOptions options)
        => throw new KernelCompilationException(kernelType.FullName ?? kernelType.Name, 0, null,
            "the IL-to-C translator is not part of this build yet");
}
