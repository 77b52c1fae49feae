using System.Runtime.InteropServices;

namespace Gpu.Ops.Gemm.Cpu;

/// <summary>op(B) packed once into the panels the CPU packed path reads, for every K block: block
/// after block of <see cref="Kc"/> steps, each holding all of N's panels of <see cref="Nr"/>
/// columns (k-major inside a panel, columns past N zero). A product then reads its panels in place
/// instead of re-packing B on every call.</summary>
internal sealed unsafe class PrepackedB : IDisposable
{
    private float* data;

    private PrepackedB(CpuVectorWidth width, int nr, int kc, int panels, long floats)
    {
        Width = width;
        Nr = nr;
        Kc = kc;
        Panels = panels;
        data = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
    }

    /// <summary>The vector width the panels were laid out for; another width cannot read them.</summary>
    public CpuVectorWidth Width { get; }

    /// <summary>Columns per panel.</summary>
    public int Nr { get; }

    /// <summary>Steps of K per block (the last block may be shorter).</summary>
    public int Kc { get; }

    /// <summary>Panels covering N.</summary>
    public int Panels { get; }

    /// <summary>The panels of the K block starting at <paramref name="pc"/>, from the panel holding column <paramref name="jc"/>.</summary>
    public float* BlockAt(int pc, int jc, int kc) => data + (long)pc * Panels * Nr + (long)(jc / Nr) * kc * Nr;

    /// <summary>Packs op(B) for the width the next product will use, or returns null when the
    /// processor has no supported width (products then take the kernel path).</summary>
    /// <param name="shape">N, K and whether B is stored N×K; M is ignored.</param>
    /// <param name="b">B on the host.</param>
    public static PrepackedB? TryPack(GemmShape shape, float* b)
    {
        if (CpuDenseGemm.ActiveWidth is not { } width)
            return null;
        var (nr, kc) = CpuDenseGemm.PanelGeometry(width, shape.K);
        int panels = (shape.N + nr - 1) / nr;
        var packed = new PrepackedB(width, nr, kc, panels, (long)panels * nr * shape.K);
        var operands = new DenseOperands { Shape = shape, B = b };
        for (int pc = 0; pc < shape.K; pc += kc)
        {
            int blockKc = Math.Min(kc, shape.K - pc);
            float* block = packed.BlockAt(pc, 0, blockKc);
            int chunks = Math.Min(panels, 2 * Environment.ProcessorCount);
            Parallel.For(0, chunks, CpuRows.OneWorkerPerCore, chunk =>
                CpuDenseGemm.PackB(operands, jc: 0, pc, blockKc, block, nr, panels * chunk / chunks, panels * (chunk + 1) / chunks));
        }
        return packed;
    }

    /// <summary>Frees the panels.</summary>
    public void Dispose()
    {
        NativeMemory.AlignedFree(data);
        data = null;
        GC.SuppressFinalize(this);
    }

    ~PrepackedB() => NativeMemory.AlignedFree(data);
}
