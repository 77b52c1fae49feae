using System.Runtime.CompilerServices;

namespace Gpu.Core.Compiler;

/// <summary>Reads a kernel struct's field values in the order of a generated entry point's parameters.</summary>
internal static class KernelArguments
{
    /// <summary>Fills <paramref name="destination"/> from <paramref name="kernel"/>'s fields and the launch extent.</summary>
    /// <param name="kernel">The kernel struct value.</param>
    /// <param name="parameters">The entry point's parameters.</param>
    /// <param name="extent">The launch extent (x, y, z) for <see cref="KernelParameterKind.ExtentLimit"/> parameters.</param>
    /// <param name="destination">One argument per parameter.</param>
    public static void Read<TKernel>(in TKernel kernel, IReadOnlyList<KernelParameter> parameters, ReadOnlySpan<int> extent, Span<KernelArgument> destination)
        where TKernel : struct
    {
        object boxed = kernel;
        int extentDimension = 0;
        for (int p = 0; p < parameters.Count; p++)
        {
            var parameter = parameters[p];
            if (parameter.Kind == KernelParameterKind.ExtentLimit)
            {
                destination[p] = FromValue(extent[extentDimension++]);
                continue;
            }
            object? value = boxed;
            foreach (var field in parameter.FieldPath)
                value = field.GetValue(value);
            destination[p] = parameter.Kind switch
            {
                KernelParameterKind.ViewHandle => FromValue((long)(nint)value!),
                KernelParameterKind.ViewOffset => FromValue((long)value!),
                KernelParameterKind.ViewLength => FromValue((int)value!),
                _ => FromScalar(value!),
            };
        }
    }

    private static KernelArgument FromScalar(object value) => value switch
    {
        // An enum travels as its underlying integer, as the generated C declares it.
        Enum e => FromScalar(Convert.ChangeType(e, Enum.GetUnderlyingType(e.GetType()), System.Globalization.CultureInfo.InvariantCulture)),
        bool b => FromValue(b ? 1 : 0),
        sbyte v => FromValue(v),
        byte v => FromValue(v),
        short v => FromValue(v),
        ushort v => FromValue(v),
        char v => FromValue((ushort)v),
        int v => FromValue(v),
        uint v => FromValue(v),
        long v => FromValue(v),
        ulong v => FromValue(v),
        nint v => FromValue((long)v),
        nuint v => FromValue((ulong)v),
        float v => FromValue(v),
        double v => FromValue(v),
        Half v => FromValue(v),
        _ => throw new NotSupportedException($"A kernel parameter of type {value.GetType()} cannot be passed by value."),
    };

    private static KernelArgument FromValue<T>(T value) where T : unmanaged
    {
        var argument = new KernelArgument { Size = Unsafe.SizeOf<T>() };
        Unsafe.As<ulong, T>(ref argument.Bits) = value;
        return argument;
    }
}
