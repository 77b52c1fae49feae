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
            float f = SequenceMath.Sigmoid(Projections[u + Hidden] + vf * c);
            float r = SequenceMath.Sigmoid(Projections[u + 2 * Hidden] + vr * c);
            c = f * c + (1f - f) * Projections[u];
            float highway = Blocks == 4 ? Projections[u + 3 * Hidden] : Input[(t * Batch + b) * InputSize + j];
            float g = Tanh != 0 ? SequenceMath.Tanh(c) : c;
            Output[(t * Batch + b) * Directions * Hidden + direction * Hidden + j] = r * g + (1f - r) * highway;
        }
        FinalCell[index] = c;
    }
}
