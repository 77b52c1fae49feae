"""PyTorch peer for bench's conv suite: 3x3 convolutions (bias, "same" padding) on the CPU.

Argument 1: a JSON list of [channels, height, width, dilation]; argument 2: threads.
For each shape PyTorch runs in both memory formats and the faster counts: NCHW, and channels_last
(its fast format for undilated convs here, while its dilated channels_last path is far slower).
A channels_last run is first timed on a crop of a few rows and extrapolated; the full run is
measured only when that estimate is competitive, so the peer finishes in about a minute.
Prints one JSON object: {"results": [{"shape": [...], "ms": best, "format": ..., "nchw_ms": ...,
"channels_last_ms": ..., "channels_last_estimated": bool}]}.
Run by bench with OPENBLAS_CORETYPE unset, GOMP_SPINCOUNT=0 and the thread count given.
"""
import json
import sys
import time

import torch


def best_ms(conv, x, budget_s=3.0):
    """Warm-up call, then timed calls until three are done or the budget is spent."""
    start = time.perf_counter()
    conv(x)
    first = time.perf_counter() - start
    best, spent = first, first
    for _ in range(3):
        if spent > budget_s:
            break
        start = time.perf_counter()
        conv(x)
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
    return best * 1e3


def measure(channels, height, width, dilation):
    conv = torch.nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation)
    x = torch.rand(1, channels, height, width)
    nchw = best_ms(conv, x)
    conv_cl = conv.to(memory_format=torch.channels_last)
    rows = max(8, height // 32)
    crop = x[:, :, :rows, :].contiguous(memory_format=torch.channels_last)
    estimate = best_ms(conv_cl, crop, budget_s=1.0) * height / rows
    estimated = estimate > 2 * nchw
    channels_last = estimate if estimated else best_ms(conv_cl, x.contiguous(memory_format=torch.channels_last))
    fmt, ms = ("nchw", nchw) if nchw <= channels_last else ("channels_last", channels_last)
    return {"shape": [channels, height, width, dilation], "ms": ms, "format": fmt, "nchw_ms": nchw,
            "channels_last_ms": channels_last, "channels_last_estimated": estimated}


def main():
    shapes = json.loads(sys.argv[1])
    torch.set_num_threads(int(sys.argv[2]))
    with torch.no_grad():
        results = [measure(*shape) for shape in shapes]
    print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
