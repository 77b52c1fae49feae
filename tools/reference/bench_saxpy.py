"""PyTorch peer for bench's saxpy: y += a * x on float32 vectors, on the CPU.

Prints one JSON object: {"n": ..., "seconds": best time of one saxpy, "gbps": ...}.
Run by bench with OPENBLAS_CORETYPE unset and GOMP_SPINCOUNT=0, as a fair peer must be.
"""
import json
import sys

import torch

from peer_timing import best_seconds


def main():
    n = int(sys.argv[1])
    threads = int(sys.argv[2])
    torch.set_num_threads(threads)
    x = torch.rand(n, dtype=torch.float32)
    y = torch.rand(n, dtype=torch.float32)
    best = best_seconds(lambda: y.add_(x, alpha=0.5))
    print(json.dumps({"n": n, "seconds": best, "gbps": 3 * 4 * n / best / 1e9}))


if __name__ == "__main__":
    main()
