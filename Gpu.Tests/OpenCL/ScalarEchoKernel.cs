using Gpu.Core;
using Gpu.Core.Compiler;
using ILGPU;

namespace Gpu.Tests.OpenCL;

/// <summary>Writes each scalar field, widened to 64 bits, to its own output element, so scalars of
/// every width can be checked to reach the device intact.</summary>
internal struct ScalarEchoKernel : IKernel1D
{
    public const int Outputs = 6;

    public ArrayView<long> Output;
    public sbyte Int8;
    public ushort UInt16;
    public int Int32;
    public long Int64;
    public bool Flag;
    public float Float;

    public readonly void Execute(int index)
    {
        Output[0] = Int8;
        Output[1] = UInt16;
        Output[2] = Int32;
        Output[3] = Int64;
        Output[4] = Flag ? 1 : 0;
        Output[5] = BitConverter.SingleToInt32Bits(Float);
    }

    /// <summary>The same in OpenCL C.</summary>
    public static GeneratedKernel HandWritten(bool guarded) => HandWrittenKernels.Make(typeof(ScalarEchoKernel), KernelShape.OneD, "scalar_echo", guarded,
        [
            .. HandWrittenKernels.ViewParameters<ScalarEchoKernel>(nameof(Output), typeof(long)),
            .. new[] { nameof(Int8), nameof(UInt16), nameof(Int32), nameof(Int64), nameof(Flag), nameof(Float) }.Select(HandWrittenKernels.Scalar<ScalarEchoKernel>),
        ],
        """
        __global long* o = Output + Output_offset;
        o[0] = Int8;
        o[1] = UInt16;
        o[2] = Int32;
        o[3] = Int64;
        o[4] = Flag ? 1 : 0;
        o[5] = as_int(Float);
        """);
}
