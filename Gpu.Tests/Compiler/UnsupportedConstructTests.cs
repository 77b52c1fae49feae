using System.Text.RegularExpressions;
using Gpu.Core;
using Gpu.Core.Compiler;

namespace Gpu.Tests.Compiler;

/// <summary>Each construct a device cannot run is a <see cref="KernelCompilationException"/> that
/// names the method, the IL offset and the C# file and line (this assembly has its PDB), never a
/// crash or silently wrong C.</summary>
public sealed partial class UnsupportedConstructTests
{
    [GeneratedRegex(@"^(?<file>.+UnsupportedConstructKernels\.cs):(?<line>\d+)$")]
    private static partial Regex LocationPattern();

    /// <summary>Compiles the kernel and checks the report points at the line
    /// containing <paramref name="offendingCode"/> inside <paramref name="method"/>.</summary>
    private static void AssertRefused<TKernel>(KernelShape shape, string method, string offendingCode, string reason)
    {
        var error = Assert.Throws<KernelCompilationException>(() => KernelCompiler.Generate(typeof(TKernel), shape, default))!;
        Assert.That(error.Method, Does.EndWith(method));
        Assert.That(error.Reason, Does.Contain(reason));
        Assert.That(error.Message, Does.Contain(error.Method).And.Contain($"IL_{error.ILOffset:x4}").And.Contain(error.SourceLocation ?? "(no location)"));
        var location = LocationPattern().Match(error.SourceLocation ?? "");
        Assert.That(location.Success, Is.True, $"expected a location in UnsupportedConstructKernels.cs, got '{error.SourceLocation}'");
        string file = location.Groups["file"].Value;
        int line = int.Parse(location.Groups["line"].Value);
        // The PDB names the file where it was built; read the line back when the sources are here.
        if (File.Exists(file))
            Assert.That(File.ReadAllLines(file)[line - 1], Does.Contain(offendingCode));
    }

    [Test]
    public void ObjectAllocation() => AssertRefused<AllocatesObjectKernel>(KernelShape.OneD,
        "AllocatesObjectKernel.Execute", "new Box { Value = index }", "object allocation");

    [Test]
    public void ClassTypedKernelField() => AssertRefused<ClassFieldKernel>(KernelShape.OneD,
        "ClassFieldKernel.Execute", "public void Execute(int index)", "the field Holder has type Gpu.Tests.Compiler.Box");

    [Test]
    public void VirtualCall() => AssertRefused<VirtualCallKernel>(KernelShape.OneD,
        "VirtualCallKernel.Execute", "KernelHelpers.Unit.Area()", "the virtual call Gpu.Tests.Compiler.Shape.Area");

    [Test]
    public void InstanceCallOnAClass() => AssertRefused<ClassInstanceCallKernel>(KernelShape.OneD,
        "ClassInstanceCallKernel.Execute", "KernelHelpers.Shared.Peek()", "the instance call Gpu.Tests.Compiler.Tally.Peek on a class");

    [Test]
    public void Throw() => AssertRefused<ThrowKernel>(KernelShape.OneD,
        "ThrowKernel.Execute", "throw new InvalidOperationException", "throwing exceptions cannot run on a device");

    [Test]
    public void TryCatch() => AssertRefused<TryCatchKernel>(KernelShape.OneD,
        "TryCatchKernel.Execute", "try {", "exception handling");

    [Test]
    public void Recursion() => AssertRefused<RecursionKernel>(KernelShape.OneD,
        "KernelHelpers.Factorial", "Factorial(n - 1)", "recursion cannot run on a device");

    [Test]
    public void RefReturn() => AssertRefused<RefReturnKernel>(KernelShape.OneD,
        "RefReturnKernel.Execute", "KernelHelpers.Same(ref value) = 5", "ref returns are not supported");

    [Test]
    public void FrameworkMethodWithoutIntrinsic() => AssertRefused<UnknownFrameworkCallKernel>(KernelShape.OneD,
        "UnknownFrameworkCallKernel.Execute", "Environment.ProcessorCount", "System.Environment.get_ProcessorCount is not supported on devices");

    [Test]
    public void ExternalMethod() => AssertRefused<ExternalCallKernel>(KernelShape.OneD,
        "ExternalCallKernel.Execute", "KernelHelpers.NativeCos(index)", "has no IL body");

    [Test]
    public void NonConstantSharedMemoryLength() => AssertRefused<NonConstantSharedMemoryKernel>(KernelShape.Grouped,
        "NonConstantSharedMemoryKernel.Execute", "SharedMemory.Allocate<float>(Length)", "needs a constant length");

    [Test]
    public void StringUse() => AssertRefused<StringKernel>(KernelShape.OneD,
        "StringKernel.Execute", "string text = \"kernel\"", "strings cannot be used on a device");

    [Test]
    public void ArrayUse() => AssertRefused<ArrayKernel>(KernelShape.OneD,
        "ArrayKernel.Execute", "new int[4]", "arrays are reference types");

    [Test]
    public void MutableStaticField() => AssertRefused<StaticFieldKernel>(KernelShape.OneD,
        "StaticFieldKernel.Execute", "KernelHelpers.Mutable", "static field Gpu.Tests.Compiler.KernelHelpers.Mutable");

    [Test]
    public void CheckedArithmetic() => AssertRefused<CheckedArithmeticKernel>(KernelShape.OneD,
        "CheckedArithmeticKernel.Execute", "checked(index * 1_000_000)", "checked arithmetic");

    [Test]
    public void Boxing() => AssertRefused<BoxingKernel>(KernelShape.OneD,
        "BoxingKernel.Execute", "object boxed = index", "box involves a reference type");

    [Test]
    public void GroupIntrinsicOutsideAGroupKernel() => AssertRefused<GroupIntrinsicOutsideGroupKernel>(KernelShape.OneD,
        "GroupIntrinsicOutsideGroupKernel.Execute", "Group.IdxX", "only valid inside an IGroupKernel");
}
