namespace Gpu.Models.Safetensors;

/// <summary>The element types of the safetensors format that this project reads and writes.</summary>
public enum SafetensorsDType
{
    /// <summary>IEEE float32 (<c>F32</c>).</summary>
    F32,
    /// <summary>IEEE float16 (<c>F16</c>).</summary>
    F16,
    /// <summary>bfloat16 (<c>BF16</c>).</summary>
    BF16,
    /// <summary>float64 (<c>F64</c>).</summary>
    F64,
    /// <summary>Signed 8-bit (<c>I8</c>).</summary>
    I8,
    /// <summary>Unsigned 8-bit (<c>U8</c>).</summary>
    U8,
    /// <summary>Signed 16-bit (<c>I16</c>).</summary>
    I16,
    /// <summary>Signed 32-bit (<c>I32</c>).</summary>
    I32,
    /// <summary>Signed 64-bit (<c>I64</c>).</summary>
    I64,
    /// <summary>Boolean, one byte (<c>BOOL</c>).</summary>
    Bool,
}

/// <summary>Sizes and names of <see cref="SafetensorsDType"/>.</summary>
public static class SafetensorsDTypes
{
    /// <summary>Bytes per element.</summary>
    /// <param name="dtype">The element type.</param>
    public static int SizeOf(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.I16 => 2,
        _ => 1,
    };

    /// <summary>The header spelling, e.g. <c>F32</c>.</summary>
    /// <param name="dtype">The element type.</param>
    public static string Name(SafetensorsDType dtype) => dtype == SafetensorsDType.Bool ? "BOOL" : dtype.ToString();

    /// <summary>Parses a header spelling.</summary>
    /// <param name="name">The spelling.</param>
    /// <param name="dtype">The element type, when known.</param>
    /// <returns>Whether the spelling names a supported type.</returns>
    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        if (name == "BOOL")
        {
            dtype = SafetensorsDType.Bool;
            return true;
        }
        return Enum.TryParse(name, ignoreCase: false, out dtype) && Enum.IsDefined(dtype) && name == dtype.ToString();
    }

    /// <summary>The element type that stores .NET type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">float, Half, double, sbyte, byte, short, int or long.</typeparam>
    public static SafetensorsDType Of<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => SafetensorsDType.F32,
        var t when t == typeof(Half) => SafetensorsDType.F16,
        var t when t == typeof(double) => SafetensorsDType.F64,
        var t when t == typeof(sbyte) => SafetensorsDType.I8,
        var t when t == typeof(byte) => SafetensorsDType.U8,
        var t when t == typeof(short) => SafetensorsDType.I16,
        var t when t == typeof(int) => SafetensorsDType.I32,
        var t when t == typeof(long) => SafetensorsDType.I64,
        var t => throw new NotSupportedException($"No safetensors element type stores {t.Name}."),
    };
}
