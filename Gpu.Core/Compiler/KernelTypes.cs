using System.Reflection;

namespace Gpu.Core.Compiler;

/// <summary>How .NET types map onto the IR: primitives to <see cref="CType"/>s, views and user
/// structs to their fields.</summary>
internal static class KernelTypes
{
    /// <summary>Whether <paramref name="type"/> is an ILGPU <see cref="ILGPU.ArrayView{T}"/>: a pointer, a
    /// 64-bit element offset and a 64-bit length on a device.</summary>
    public static bool IsView(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ILGPU.ArrayView<>);

    /// <summary>The fields of a view type that hold its buffer (whose <see cref="ILGPU.Runtime.MemoryBuffer.NativePtr"/>
    /// is the handle), element offset and length.</summary>
    public static (FieldInfo Handle, FieldInfo Offset, FieldInfo Length) ViewFields(Type viewType)
    {
        const BindingFlags instance = BindingFlags.Instance | BindingFlags.NonPublic;
        return (viewType.GetField("<Buffer>k__BackingField", instance) ?? throw MissingArrayViewField("Buffer"),
            viewType.GetField("<Index>k__BackingField", instance) ?? throw MissingArrayViewField("Index"),
            viewType.GetField("<Length>k__BackingField", instance) ?? throw MissingArrayViewField("Length"));
    }

    // ILGPU 1.5.3 stores these as auto-property backing fields; a version that renames them must be caught here.
    private static MissingFieldException MissingArrayViewField(string property)
        => new($"ILGPU's ArrayView<T> has no backing field for {property}: the ILGPU version differs from the one the translator knows (1.5.3).");

    /// <summary>The element type of a view type.</summary>
    public static Type ElementOf(Type viewType) => viewType.GetGenericArguments()[0];

    /// <summary>The C type a primitive is stored as, or null for anything else.</summary>
    public static CType? Primitive(Type type)
    {
        if (type.IsEnum)
            type = Enum.GetUnderlyingType(type);
        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => CType.I32,
            TypeCode.SByte => CType.I8,
            TypeCode.Byte => CType.U8,
            TypeCode.Int16 => CType.I16,
            TypeCode.UInt16 or TypeCode.Char => CType.U16,
            TypeCode.Int32 => CType.I32,
            TypeCode.UInt32 => CType.U32,
            TypeCode.Int64 => CType.I64,
            TypeCode.UInt64 => CType.U64,
            TypeCode.Single => CType.F32,
            TypeCode.Double => CType.F64,
            _ when type == typeof(nint) => CType.I64,
            _ when type == typeof(nuint) => CType.U64,
            _ => null,
        };
    }

    /// <summary>The C type of a primitive as stored in device memory (a .NET bool is one byte there).</summary>
    public static CType? MemoryType(Type type) => type == typeof(bool) ? CType.U8 : Primitive(type);

    /// <summary>Why a struct cannot be a view element in device memory, or null when C lays it out
    /// exactly as .NET does: sequential, naturally aligned, of primitives and such structs.</summary>
    public static string? ElementStructProblem(Type type)
    {
        if (!IsUserStruct(type))
            return $"{Describe(type)} is not a struct";
        if (type.StructLayoutAttribute is { } layout && (layout.Value != System.Runtime.InteropServices.LayoutKind.Sequential || layout.Pack != 0 && layout.Pack < 8))
            return $"{Describe(type)} has an explicit layout or packing, which C would not reproduce";
        var (size, _, problem) = NaturalLayout(type);
        if (problem is not null)
            return problem;
        int managedSize = ManagedSize(type);
        return managedSize == size ? null : $"{Describe(type)} takes {managedSize} bytes in .NET but {size} in C";
    }

    /// <summary>The size .NET gives a value type in memory (what <c>sizeof</c> yields).</summary>
    public static int ManagedSize(Type type)
        => (int)typeof(System.Runtime.CompilerServices.Unsafe).GetMethod(nameof(System.Runtime.CompilerServices.Unsafe.SizeOf))!
            .MakeGenericMethod(type).Invoke(null, null)!;

    private static (int Size, int Alignment, string? Problem) NaturalLayout(Type type)
    {
        int offset = 0, alignment = 1;
        foreach (var field in InstanceFields(type))
        {
            int fieldSize, fieldAlignment;
            if (MemoryType(field.FieldType) is { } primitive)
            {
                fieldSize = fieldAlignment = SizeOf(primitive);
            }
            else if (IsUserStruct(field.FieldType))
            {
                var (nestedSize, nestedAlignment, problem) = NaturalLayout(field.FieldType);
                if (problem is not null)
                    return (0, 0, problem);
                (fieldSize, fieldAlignment) = (nestedSize, nestedAlignment);
            }
            else
            {
                return (0, 0, $"the field {field.Name} of {Describe(type)} has type {Describe(field.FieldType)}");
            }
            offset = (offset + fieldAlignment - 1) / fieldAlignment * fieldAlignment + fieldSize;
            alignment = Math.Max(alignment, fieldAlignment);
        }
        return ((offset + alignment - 1) / alignment * alignment, alignment, null);
    }

    /// <summary>Bytes of a C value type.</summary>
    public static int SizeOf(CType type) => type switch
    {
        CType.I8 or CType.U8 => 1,
        CType.I16 or CType.U16 => 2,
        CType.I32 or CType.U32 or CType.F32 => 4,
        _ => 8,
    };

    /// <summary>The type a value of <paramref name="type"/> has on the IL evaluation stack.</summary>
    public static CType StackType(CType type) => type switch
    {
        CType.I8 or CType.U8 or CType.I16 or CType.U16 or CType.I32 or CType.U32 => CType.I32,
        CType.I64 or CType.U64 => CType.I64,
        _ => type,
    };

    /// <summary>A .NET type standing for a stack type, for join slots.</summary>
    public static Type ClrTypeOf(CType type) => type switch
    {
        CType.I32 => typeof(int),
        CType.I64 => typeof(long),
        CType.F32 => typeof(float),
        CType.F64 => typeof(double),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a stack type"),
    };

    public static bool IsUnsigned(CType type) => type is CType.U8 or CType.U16 or CType.U32 or CType.U64;

    /// <summary>A user-defined struct whose fields the compiler flattens.</summary>
    public static bool IsUserStruct(Type type) => type.IsValueType && !type.IsPrimitive && !type.IsEnum && !IsView(type) && !type.IsPointer && !type.IsByRef;

    /// <summary>The instance fields of a struct in declaration order.</summary>
    public static FieldInfo[] InstanceFields(Type type)
        => type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic).OrderBy(f => f.MetadataToken).ToArray();

    /// <summary>A C identifier for a field (auto-property backing fields by their property's name).</summary>
    public static string FieldName(FieldInfo field)
    {
        string name = field.Name;
        if (name.StartsWith('<') && name.IndexOf('>') is > 1 and var end)
            name = name[1..end];
        return Identifier(name);
    }

    /// <summary>Replaces everything but letters, digits and underscores.</summary>
    public static string Identifier(string text)
    {
        var characters = text.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray();
        return new string(characters);
    }

    /// <summary>A readable name of a method for messages: <c>Type.Method</c>.</summary>
    public static string Describe(MethodBase method) => $"{Describe(method.DeclaringType)}.{method.Name}";

    /// <summary>A readable type name with generic arguments.</summary>
    public static string Describe(Type? type)
    {
        if (type is null)
            return "?";
        if (!type.IsGenericType)
            return type.FullName ?? type.Name;
        string name = (type.GetGenericTypeDefinition().FullName ?? type.Name).Split('`')[0];
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(Describe))}>";
    }
}
