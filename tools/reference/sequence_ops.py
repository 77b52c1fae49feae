"""Reference fixtures for the sequence ops (LSTM/LSTMP, SRU, softmax, CTC greedy decoding).

Writes one safetensors file per case into Gpu.Tests/Fixtures/sequence (or the directory given
as the first argument). Seeded: re-running it rewrites the same inputs and weights; outputs may
differ in the last bit, as the BLAS underneath chooses its kernels at run time.

- LSTM cases come from torch.nn.LSTM itself; the weights keep PyTorch's state_dict names.
- LSTMP with peepholes (which PyTorch lacks) and the SRU are written out in torch ops from the
  equations in SPEC.md, independently of the C# code.
Layouts: sequences are time-major, input (T, B, n), output (T, B, directions * width).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

STEPS, BATCH = 5, 3


def lstm_case(directory, name, input_size, hidden_size, proj_size, layers, bidirectional, seed):
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(input_size, hidden_size, num_layers=layers, bidirectional=bidirectional,
                         proj_size=proj_size)
    directions = 2 if bidirectional else 1
    width = proj_size if proj_size > 0 else hidden_size
    x = torch.randn(STEPS, BATCH, input_size)
    h0 = 0.5 * torch.randn(layers * directions, BATCH, width)
    c0 = 0.5 * torch.randn(layers * directions, BATCH, hidden_size)
    with torch.no_grad():
        y, (hn, cn) = lstm(x, (h0, c0))
    tensors = {key: value for key, value in lstm.state_dict().items()}
    tensors.update(input=x, h0=h0, c0=c0, output=y, hn=hn, cn=cn)
    safetensors_io.save(os.path.join(directory, f"{name}.safetensors"), tensors, {
        "input_size": input_size, "hidden_size": hidden_size, "proj_size": proj_size,
        "num_layers": layers, "bidirectional": int(bidirectional), "peepholes": 0})


def lstmp_peephole_case(directory, seed):
    """One layer, one direction, projection and diagonal peepholes, from the SPEC equations."""
    torch.manual_seed(seed)
    n_in, n_c, n_r = 4, 6, 3
    w_ih = 0.4 * torch.randn(4 * n_c, n_in)
    w_hh = 0.4 * torch.randn(4 * n_c, n_r)
    b_ih, b_hh = 0.2 * torch.randn(4 * n_c), 0.2 * torch.randn(4 * n_c)
    w_hr = 0.4 * torch.randn(n_r, n_c)
    w_ic, w_fc, w_oc = 0.5 * torch.randn(n_c), 0.5 * torch.randn(n_c), 0.5 * torch.randn(n_c)
    x = torch.randn(STEPS, BATCH, n_in)
    h0, c0 = 0.5 * torch.randn(1, BATCH, n_r), 0.5 * torch.randn(1, BATCH, n_c)
    r, c, outputs = h0[0], c0[0], []
    for t in range(STEPS):
        z = x[t] @ w_ih.T + b_ih + r @ w_hh.T + b_hh
        zi, zf, zg, zo = z.split(n_c, dim=1)
        i = torch.sigmoid(zi + w_ic * c)
        f = torch.sigmoid(zf + w_fc * c)
        g = torch.tanh(zg)
        c = f * c + i * g
        o = torch.sigmoid(zo + w_oc * c)
        m = o * torch.tanh(c)
        r = m @ w_hr.T
        outputs.append(r)
    tensors = {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh,
               "weight_hr_l0": w_hr, "weight_ic_l0": w_ic, "weight_fc_l0": w_fc, "weight_oc_l0": w_oc,
               "input": x, "h0": h0, "c0": c0, "output": torch.stack(outputs),
               "hn": r.unsqueeze(0), "cn": c.unsqueeze(0)}
    safetensors_io.save(os.path.join(directory, "lstmp_peepholes.safetensors"), tensors, {
        "input_size": n_in, "hidden_size": n_c, "proj_size": n_r, "num_layers": 1,
        "bidirectional": 0, "peepholes": 1})


def sru_direction(x, weight, b_f, b_r, v_f, v_r, c, hidden, activation, reverse):
    """One direction of the SRU: U = X·W for all steps, then the element-wise recurrence."""
    steps, batch, n = x.shape
    u = (x.reshape(steps * batch, n) @ weight).reshape(steps, batch, -1)
    outputs = [None] * steps
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        u0, u1, u2 = u[t, :, :hidden], u[t, :, hidden:2 * hidden], u[t, :, 2 * hidden:3 * hidden]
        highway = u[t, :, 3 * hidden:] if weight.shape[1] == 4 * hidden else x[t]
        f = torch.sigmoid(u1 + v_f * c + b_f)
        r = torch.sigmoid(u2 + v_r * c + b_r)
        c = f * c + (1 - f) * u0
        g = torch.tanh(c) if activation == "tanh" else c
        outputs[t] = r * g + (1 - r) * highway
    return torch.stack(outputs), c


def sru_case(directory, name, input_size, hidden_size, bidirectional, recurrent_weights, activation, seed):
    torch.manual_seed(seed)
    k = 3 if input_size == hidden_size else 4
    directions = 2 if bidirectional else 1
    x = torch.randn(STEPS, BATCH, input_size)
    c0 = 0.5 * torch.randn(directions, BATCH, hidden_size)
    tensors, outputs, finals = {"input": x, "c0": c0}, [], []
    for direction in range(directions):
        suffix = "_reverse" if direction == 1 else ""
        weight = 0.5 * torch.randn(input_size, k * hidden_size)
        b_f, b_r = 0.3 * torch.randn(hidden_size), 0.3 * torch.randn(hidden_size)
        v_f = 0.5 * torch.randn(hidden_size) if recurrent_weights else torch.zeros(hidden_size)
        v_r = 0.5 * torch.randn(hidden_size) if recurrent_weights else torch.zeros(hidden_size)
        tensors.update({f"weight{suffix}": weight, f"bias_f{suffix}": b_f, f"bias_r{suffix}": b_r})
        if recurrent_weights:
            tensors.update({f"v_f{suffix}": v_f, f"v_r{suffix}": v_r})
        y, c = sru_direction(x, weight, b_f, b_r, v_f, v_r, c0[direction], hidden_size, activation, direction == 1)
        outputs.append(y)
        finals.append(c)
    tensors.update(output=torch.cat(outputs, dim=2), cn=torch.stack(finals))
    safetensors_io.save(os.path.join(directory, f"{name}.safetensors"), tensors, {
        "input_size": input_size, "hidden_size": hidden_size, "bidirectional": int(bidirectional),
        "recurrent_weights": int(recurrent_weights), "activation": activation})


def softmax_case(directory, seed):
    torch.manual_seed(seed)
    x = torch.randn(6, 9) * torch.tensor([1.0, 30.0, 300.0, 3000.0, 1e-3, 80.0]).unsqueeze(1)
    x[0, 3] = x[0, 5] = 50.0  # a tie at the maximum
    x[4, :] = -1e30  # every entry hugely negative: the maximum subtraction keeps it finite
    safetensors_io.save(os.path.join(directory, "softmax.safetensors"), {
        "input": x, "softmax": torch.softmax(x, dim=1), "log_softmax": torch.log_softmax(x, dim=1)})


def ctc_case(directory, seed):
    """Scores whose best path has repeats, blanks between repeats, all-blank and no-blank rows."""
    torch.manual_seed(seed)
    steps, batch, classes = 9, 4, 6
    paths = torch.tensor([
        [1, 1, 0, 1, 2, 2, 0, 0, 3],   # 1 1 _ 1 2 2 _ _ 3 -> 1 1 2 3
        [0, 0, 0, 0, 0, 0, 0, 0, 0],   # all blank -> nothing
        [5, 4, 3, 2, 1, 1, 1, 2, 5],   # no blank -> 5 4 3 2 1 2 5
        [0, 2, 2, 2, 0, 2, 0, 0, 4],   # -> 2 2 4
    ]).T
    scores = torch.randn(steps, batch, classes)
    scores.scatter_(2, paths.unsqueeze(2), 5.0 + torch.rand(steps, batch, 1))
    log_probs = torch.log_softmax(scores, dim=2)
    best = log_probs.argmax(dim=2)
    labels = torch.full((batch, steps), -1, dtype=torch.int32)
    lengths = torch.zeros(batch, dtype=torch.int32)
    for b in range(batch):
        previous, decoded = -1, []
        for t in range(steps):
            k = int(best[t, b])
            if k != previous and k != 0:
                decoded.append(k)
            previous = k
        labels[b, :len(decoded)] = torch.tensor(decoded, dtype=torch.int32)
        lengths[b] = len(decoded)
    safetensors_io.save(os.path.join(directory, "ctc_greedy.safetensors"), {
        "log_probs": log_probs, "labels": labels, "lengths": lengths})


def main():
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Gpu.Tests", "Fixtures", "sequence")
    directory = sys.argv[1] if len(sys.argv) > 1 else default
    os.makedirs(directory, exist_ok=True)
    torch.set_num_threads(1)
    lstm_case(directory, "lstm_plain", 4, 5, 0, 1, False, 1)
    lstm_case(directory, "lstm_bidirectional_2layers", 4, 5, 0, 2, True, 2)
    lstm_case(directory, "lstmp", 4, 6, 3, 1, False, 3)
    lstm_case(directory, "lstmp_bidirectional_2layers", 4, 6, 3, 2, True, 4)
    lstmp_peephole_case(directory, 5)
    # Wide enough for the SIMD paths (8 lanes) plus a scalar tail.
    lstm_case(directory, "lstmp_wide_bidirectional_2layers", 6, 20, 9, 2, True, 11)
    sru_case(directory, "sru_2017", 6, 6, False, False, "tanh", 6)
    sru_case(directory, "sru_recurrent_weights_highway_projection_bidirectional", 4, 6, True, True, "tanh", 7)
    sru_case(directory, "sru_identity_bidirectional", 5, 5, True, True, "identity", 8)
    sru_case(directory, "sru_wide_bidirectional", 12, 20, True, True, "tanh", 12)
    softmax_case(directory, 9)
    ctc_case(directory, 10)


if __name__ == "__main__":
    main()
