using ILGPU;
using Gpu.Core;

namespace Gpu.Ops.Sequence;

/// <summary>The sequential part of the SRU, fused: one thread per (direction, sequence, hidden
/// column) walks the steps, reading its U columns and keeping c in a register.
/// U rows are (t·B + b), each holding the k·d columns of every direction in turn; the gate biases
/// were already added by the GEMM's epilogue.</summary>
internal struct SruRecurrenceKernel : IKernel1D
{
    public ArrayView<float> Projections, Input, Output, InitialCell, FinalCell, ForgetWeights, ResetWeights;
    public int Steps, Batch, Hidden, InputSize, Directions, Blocks, HasInitialCell, Tanh;

    public void Execute(int index)
    {
        int j = index % Hidden;
        int b = index / Hidden % Batch;
        int direction = index / (Hidden * Batch);
        int row = Directions * Blocks * Hidden;
        int block = direction * Blocks * Hidden;
        float vf = ForgetWeights[direction * Hidden + j];
        float vr = ResetWeights[direction * Hidden + j];
        float c = HasInitialCell != 0 ? InitialCell[index] : 0f;
        for (int s = 0; s < Steps; s++)
        {
            int t = direction == 0 ? s : Steps - 1 - s;
            int u = (t * Batch + b) * row + block + j;
            float highway = Blocks == 4 ? Projections[u + 3 * Hidden] : Input[(t * Batch + b) * InputSize + j];
            float next = NextCell(c, vf, Projections[u], Projections[u + Hidden]);
            float g = Tanh != 0 ? SequenceMath.Tanh(next) : next;
            Output[(t * Batch + b) * Directions * Hidden + direction * Hidden + j] = OutputOf(g, c, vr, Projections[u + 2 * Hidden], highway);
            c = next;
        }
        FinalCell[index] = c;
    }

    /// <summary>A column's cell after one step: c' = f·c + (1 − f)·x̃ with the forget gate f = σ(U_f + v_f·c).
    /// Every schedule of the recurrence goes through this and <see cref="OutputOf"/>, so they agree to the bit.</summary>
    public static float NextCell(float cell, float forgetWeight, float candidate, float forget)
    {
        float f = SequenceMath.Sigmoid(forget + forgetWeight * cell);
        return f * cell + (1f - f) * candidate;
    }

    /// <summary>A column's output after one step: h = r·g + (1 − r)·highway with g = tanh(c') or c' (the
    /// caller's choice, so a schedule can branch on it once for many columns) and the reset gate
    /// r = σ(U_r + v_r·c) of the previous cell.</summary>
    public static float OutputOf(float g, float cell, float resetWeight, float reset, float highway)
    {
        float r = SequenceMath.Sigmoid(reset + resetWeight * cell);
        return r * g + (1f - r) * highway;
    }
}
