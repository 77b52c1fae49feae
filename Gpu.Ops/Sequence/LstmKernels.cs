using ILGPU;
using Gpu.Core;

namespace Gpu.Ops.Sequence;

/// <summary>The fused element-wise update of one LSTM step, one thread per (sequence, cell):
/// gates from the pre-activations (input and recurrent products and biases already summed by the
/// GEMMs), the peepholes, the new cell and m = o ⊙ tanh(c). Gate blocks per row: i, f, g, o.</summary>
internal struct LstmCellKernel : IKernel1D
{
    public ArrayView<float> Gates, PreviousCell, Cell, Hidden, PeepholeInput, PeepholeForget, PeepholeOutput;
    public int Cells, ZeroPrevious;

    public void Execute(int index)
    {
        int j = index % Cells;
        int row = index / Cells * 4 * Cells;
        float previous = ZeroPrevious != 0 ? 0f : PreviousCell[index];
        float input = SequenceMath.Sigmoid(Gates[row + j] + PeepholeInput[j] * previous);
        float forget = SequenceMath.Sigmoid(Gates[row + Cells + j] + PeepholeForget[j] * previous);
        float candidate = SequenceMath.Tanh(Gates[row + 2 * Cells + j]);
        float cell = forget * previous + input * candidate;
        float output = SequenceMath.Sigmoid(Gates[row + 3 * Cells + j] + PeepholeOutput[j] * cell);
        Cell[index] = cell;
        Hidden[index] = output * SequenceMath.Tanh(cell);
    }
}

/// <summary>Writes the two directions' outputs (each rows × width) side by side into rows × 2·width.</summary>
internal struct ConcatenateDirectionsKernel : IKernel2D
{
    public ArrayView<float> Forward, Backward, Output;
    public int Width;

    public void Execute(int x, int y)
    {
        int j = x % Width;
        Output[y * 2 * Width + x] = x < Width ? Forward[y * Width + j] : Backward[y * Width + j];
    }
}
