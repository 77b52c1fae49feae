using System.Reflection;
using System.Reflection.Emit;

namespace Gpu.Core.Compiler;

/// <summary>One decoded IL instruction: its offset, opcode and raw operand.</summary>
/// <param name="Offset">Byte offset in the method body.</param>
/// <param name="OpCode">The opcode.</param>
/// <param name="Operand">The operand: a token or immediate as a long, a double for <c>ldc.r8</c>, a
/// float for <c>ldc.r4</c> (bits kept), the absolute target offset for branches, the absolute target offsets for <c>switch</c>.</param>
/// <param name="Next">Offset of the next instruction.</param>
internal readonly record struct ILInstruction(int Offset, OpCode OpCode, object? Operand, int Next)
{
    /// <summary>The operand as a 32-bit integer (tokens, immediates, local and argument numbers).</summary>
    public int Int => Convert.ToInt32(Operand);

    /// <summary>The branch target.</summary>
    public int Target => (int)Operand!;

    /// <summary>The <c>switch</c> targets.</summary>
    public int[] Targets => (int[])Operand!;
}

/// <summary>Decodes a method body's IL bytes into instructions, using the runtime's own opcode table.</summary>
internal static class ILDecoder
{
    private static readonly OpCode[] OneByte = new OpCode[256];
    private static readonly OpCode[] TwoByte = new OpCode[256];

    static ILDecoder()
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var code = (OpCode)field.GetValue(null)!;
            ushort value = unchecked((ushort)code.Value);
            if (value < 0x100)
                OneByte[value] = code;
            else if ((value & 0xff00) == 0xfe00)
                TwoByte[value & 0xff] = code;
        }
    }

    /// <summary>Decodes <paramref name="il"/>.</summary>
    /// <exception cref="InvalidOperationException">The bytes are not valid IL.</exception>
    public static List<ILInstruction> Decode(byte[] il)
    {
        var instructions = new List<ILInstruction>();
        int position = 0;
        while (position < il.Length)
        {
            int offset = position;
            OpCode code;
            byte first = il[position++];
            if (first == 0xfe)
                code = TwoByte[il[position++]];
            else
                code = OneByte[first];
            if (code.Size == 0)
                throw new InvalidOperationException($"Unknown IL opcode 0x{first:x2} at IL_{offset:x4}.");
            object? operand;
            switch (code.OperandType)
            {
                case OperandType.InlineNone:
                    operand = null;
                    break;
                case OperandType.ShortInlineBrTarget:
                    operand = (int)(sbyte)il[position] + position + 1;
                    position += 1;
                    break;
                case OperandType.ShortInlineI:
                    operand = code == OpCodes.Ldc_I4_S ? (long)(sbyte)il[position] : il[position];
                    position += 1;
                    break;
                case OperandType.ShortInlineVar:
                    operand = (long)il[position];
                    position += 1;
                    break;
                case OperandType.InlineVar:
                    operand = (long)BitConverter.ToUInt16(il, position);
                    position += 2;
                    break;
                case OperandType.InlineBrTarget:
                    operand = BitConverter.ToInt32(il, position) + position + 4;
                    position += 4;
                    break;
                case OperandType.ShortInlineR:
                    operand = BitConverter.ToSingle(il, position);
                    position += 4;
                    break;
                case OperandType.InlineR:
                    operand = BitConverter.ToDouble(il, position);
                    position += 8;
                    break;
                case OperandType.InlineI8:
                    operand = BitConverter.ToInt64(il, position);
                    position += 8;
                    break;
                case OperandType.InlineSwitch:
                    int count = BitConverter.ToInt32(il, position);
                    position += 4;
                    int end = position + 4 * count;
                    var targets = new int[count];
                    for (int i = 0; i < count; i++)
                        targets[i] = BitConverter.ToInt32(il, position + 4 * i) + end;
                    position = end;
                    operand = targets;
                    break;
                default:
                    // Tokens (method, field, type, string, signature) and 32-bit immediates.
                    operand = (long)BitConverter.ToInt32(il, position);
                    position += 4;
                    break;
            }
            instructions.Add(new ILInstruction(offset, code, operand, position));
        }
        return instructions;
    }
}
