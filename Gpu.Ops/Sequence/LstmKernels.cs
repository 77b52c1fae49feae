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

    public void Execute(int index) => Update(new LibraryGateFunctions(), index / Cells, index % Cells);

    /// <summary>Updates cell <paramref name="j"/> of sequence <paramref name="row"/>.</summary>
    public void Update<TGates>(TGates functions, int row, int j) where TGates : struct, IGateFunctions
    {
        int index = row * Cells + j;
        int gates = row * 4 * Cells;
        float previous = ZeroPrevious != 0 ? 0f : PreviousCell[index];
        float input = functions.Sigmoid(Gates[gates + j] + PeepholeInput[j] * previous);
        float forget = functions.Sigmoid(Gates[gates + Cells + j] + PeepholeForget[j] * previous);
        float candidate = functions.Tanh(Gates[gates + 2 * Cells + j]);
        float cell = forget * previous + input * candidate;
        float output = functions.Sigmoid(Gates[gates + 3 * Cells + j] + PeepholeOutput[j] * cell);
        Cell[index] = cell;
        Hidden[index] = output * functions.Tanh(cell);
    }
}

/// <summary><see cref="LstmCellKernel"/> for devices that prefer barrier-free schedules (PoCL): a 2D
/// launch (cell, sequence), so no item divides, and the gate functions without library calls, so the
/// runtime vectorises the update across work items.</summary>
internal struct LstmCellRowsKernel : IKernel2D
{
    public LstmCellKernel Cell;

    public void Execute(int j, int row) => Cell.Update(new ArithmeticGateFunctions(), row, j);
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
