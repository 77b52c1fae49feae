"""PyTorch peer for bench's conv suite: 3x3 convolutions (bias, "same" padding) on the CPU.

Argument 1: a JSON list of [channels, height, width, dilation]; argument 2: threads.
For each shape PyTorch runs in both memory formats and the faster counts: NCHW, and channels_last
(its fast format for undilated convs here, while its dilated paths take seconds per 1080p call).
Each format is first timed on a crop of the top rows (full width) and extrapolated by rows,
which is linear for these convolutions; the full image is measured only when that estimate is
under a second, so the peer finishes in about a minute even on a busy machine. Estimated
figures are flagged in the output.
Processor time (all threads) is reported beside wall time: on a shared machine it still says how
much work a call costs. Prints one JSON object: {"results": [{"shape": [...], "ms": best wall,
"cpu_ms": best processor time, "format": ..., "estimated": bool,
"nchw_ms": ..., "channels_last_ms": ...}]}.
Run by bench with OPENBLAS_CORETYPE unset, GOMP_SPINCOUNT=0 and the thread count given.
"""

import torch

from peer_timing import best_ms_within, run_cases

# Timed calls of a full image, as many as bench's own side takes: on a shared machine the best of
# more calls is likelier to catch a quiet moment, so both sides get the same number.
RUNS = 5


def time_format(conv, x, memory_format):
    """(wall ms, processor ms, estimated) for one memory format: crop estimate first, full run when affordable."""
    conv = conv.to(memory_format=memory_format)
    height = x.shape[2]
    rows = max(16, height // 16)
    if rows < height:
        crop = x[:, :, :rows, :].contiguous(memory_format=memory_format)
        wall, cpu = best_ms_within(lambda: conv(crop), budget_s=0.5)
        if wall * height / rows > 1000:
            return wall * height / rows, cpu * height / rows, True
    full = x.contiguous(memory_format=memory_format)
    return (*best_ms_within(lambda: conv(full), runs=RUNS), False)


def measure(channels, height, width, dilation):
    conv = torch.nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation)
    x = torch.rand(1, channels, height, width)
    nchw, nchw_cpu, nchw_estimated = time_format(conv, x, torch.contiguous_format)
    channels_last, channels_last_cpu, channels_last_estimated = time_format(conv, x, torch.channels_last)
    if nchw <= channels_last:
        fmt, ms, cpu_ms, estimated = "nchw", nchw, nchw_cpu, nchw_estimated
    else:
        fmt, ms, cpu_ms, estimated = "channels_last", channels_last, channels_last_cpu, channels_last_estimated
    return {"shape": [channels, height, width, dilation], "ms": ms, "cpu_ms": cpu_ms, "format": fmt, "estimated": estimated,
            "nchw_ms": nchw, "channels_last_ms": channels_last}


if __name__ == "__main__":
    run_cases(measure)
