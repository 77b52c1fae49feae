"""PyTorch peer for bench's gemm suite, on the CPU.

Usage: bench_gemm.py THREADS SIZE[,SIZE...] FEATURES BATCH[,BATCH...]
Prints one JSON object:
  {"blas": "...", "sgemm": {"512": seconds, ...},
   "linear": {"1": seconds, ...}, "quantized_linear": {"1": seconds, ...}}
sgemm is torch.mm of two SIZE×SIZE float32 matrices; linear is a FEATURES×FEATURES nn.Linear
without bias at each batch, in float32 and as torch.ao.quantization.quantize_dynamic made it (int8
weights, uint8 activations quantized on the fly).
Run by bench with OPENBLAS_CORETYPE unset and GOMP_SPINCOUNT=0, as a fair peer must be.
"""
import json
import sys
import time

import torch


def best_seconds(work, warmups=3, runs=10):
    for _ in range(warmups):
        work()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def blas_name():
    config = torch.__config__.show()
    for line in config.splitlines():
        if "BLAS_INFO" in line:
            return line.split("BLAS_INFO=")[1].split(",")[0]
    return "unknown"


def main():
    threads = int(sys.argv[1])
    sizes = [int(s) for s in sys.argv[2].split(",")]
    features = int(sys.argv[3])
    batches = [int(b) for b in sys.argv[4].split(",")]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    result = {"blas": blas_name(), "sgemm": {}, "linear": {}, "quantized_linear": {}}
    with torch.no_grad():
        for size in sizes:
            a = torch.rand(size, size)
            b = torch.rand(size, size)
            out = torch.empty(size, size)
            # A generic (reference) BLAS takes seconds for 2048³: time it once rather than for minutes.
            slow = result["blas"] == "generic" and size > 1024
            result["sgemm"][str(size)] = best_seconds(lambda: torch.mm(a, b, out=out), warmups=0 if slow else 3, runs=1 if slow else 5)
        linear = torch.nn.Linear(features, features, bias=False)
        quantized = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(linear), {torch.nn.Linear}, dtype=torch.qint8)
        for batch in batches:
            x = torch.rand(batch, features)
            slow = result["blas"] == "generic" and batch > 1
            result["linear"][str(batch)] = best_seconds(lambda: linear(x), warmups=1 if slow else 3, runs=2 if slow else 10)
            result["quantized_linear"][str(batch)] = best_seconds(lambda: quantized(x))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
