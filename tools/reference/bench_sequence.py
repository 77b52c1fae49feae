"""PyTorch peer for bench's sequence suite, on the CPU, time-major input of T steps x B sequences.

- LSTMP: nn.LSTM(512, 1024, proj_size=512)
- LSTM:  nn.LSTM(512, 512)
- SRU:   hidden 512 (n = d = 512, 2017 version, tanh) in plain torch ops: one matmul for U, then
         the element-wise recurrence step by step.
Prints one JSON object with the best time of each in milliseconds.
Usage: bench_sequence.py STEPS BATCH THREADS
"""
import json
import sys

import torch

from peer_timing import best_seconds


def sru(x, weight, b_f, b_r, hidden):
    steps, batch, n = x.shape
    u = (x.reshape(steps * batch, n) @ weight).reshape(steps, batch, 3, hidden)
    c = torch.zeros(batch, hidden)
    outputs = []
    for t in range(steps):
        f = torch.sigmoid(u[t, :, 1] + b_f)
        r = torch.sigmoid(u[t, :, 2] + b_r)
        c = f * c + (1 - f) * u[t, :, 0]
        outputs.append(r * torch.tanh(c) + (1 - r) * x[t])
    return torch.stack(outputs)


def main():
    steps, batch, threads = (int(a) for a in sys.argv[1:4])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    result = {"steps": steps, "batch": batch, "threads": threads}
    with torch.no_grad():
        x = torch.randn(steps, batch, 512)
        lstmp = torch.nn.LSTM(512, 1024, proj_size=512)
        result["lstmp_ms"] = best_seconds(lambda: lstmp(x), warmups=2, runs=5) * 1e3
        lstm = torch.nn.LSTM(512, 512)
        result["lstm_ms"] = best_seconds(lambda: lstm(x), warmups=2, runs=5) * 1e3
        weight = torch.randn(512, 3 * 512) / 512 ** 0.5
        b_f, b_r = torch.zeros(512), torch.zeros(512)
        result["sru_ms"] = best_seconds(lambda: sru(x, weight, b_f, b_r, 512), warmups=2, runs=5) * 1e3
    print(json.dumps(result))


if __name__ == "__main__":
    main()
