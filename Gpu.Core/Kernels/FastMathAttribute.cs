namespace Gpu.Core;

/// <summary>Lets the device compilers contract <c>a*b+c</c> into FMA and use approximate maths for
/// this kernel. Without it, translated kernels give the results C# gives on the CPU.</summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class FastMathAttribute : Attribute;
