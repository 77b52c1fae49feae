"""PyTorch peer for bench's gemm suite, on the CPU.

Usage: bench_gemm.py THREADS SIZE[,SIZE...] FEATURES BATCH[,BATCH...]
Prints one JSON object:
  {"blas": "...", "quantized_engine": "fbgemm", "reference_blas": false, "sgemm": {"512": seconds, ...},
   "linear": {"1": seconds, ...}, "quantized_linear": {"1": seconds, ...}}
sgemm is torch.mm of two SIZE×SIZE float32 matrices; linear is a FEATURES×FEATURES nn.Linear
without bias at each batch, in float32 and as torch.ao.quantization.quantize_dynamic made it (int8
weights, uint8 activations quantized on the fly).
Run by bench with OPENBLAS_CORETYPE unset and GOMP_SPINCOUNT=0, as a fair peer must be.
"""
import json
import os
import sys

import torch

from peer_timing import best_seconds


def blas_name():
    """The BLAS torch.mm really calls. Debian's torch is built with BLAS_INFO=generic but links the
    system libblas.so.3, which update-alternatives points at OpenBLAS, BLIS or the reference BLAS;
    so the answer is read from the libraries mapped into this process after a product, not from
    torch.__config__."""
    small = torch.rand(64, 64)
    torch.mm(small, small)
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if line.rstrip().endswith(".so") or ".so." in line}
    libraries = sorted(p for p in paths if "blas" in os.path.basename(p).lower() or "mkl" in os.path.basename(p).lower())
    built = "built with BLAS_INFO=" + blas_build_info()
    if not libraries:
        return f"unknown ({built})"
    # The implementation's own library (libopenblasp-r0.3.21.so, libblis.so.4) names it best; the
    # reference BLAS only maps libblas.so.3 from its own directory.
    named = [p for p in libraries if not os.path.basename(p).startswith("libblas.so")] or libraries
    chosen = named[0]
    return f"{os.path.basename(os.path.dirname(chosen))}/{os.path.basename(chosen)} ({built})"


def blas_build_info():
    for line in torch.__config__.show().splitlines():
        if "BLAS_INFO=" in line:
            return line.split("BLAS_INFO=")[1].split(",")[0]
    return "unknown"


def is_reference_blas(name):
    return "openblas" not in name and "blis" not in name and "mkl" not in name


def main():
    threads = int(sys.argv[1])
    sizes = [int(s) for s in sys.argv[2].split(",")]
    features = int(sys.argv[3])
    batches = [int(b) for b in sys.argv[4].split(",")]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    result = {"blas": blas_name(), "quantized_engine": torch.backends.quantized.engine,
              "reference_blas": False, "sgemm": {}, "linear": {}, "quantized_linear": {}}
    result["reference_blas"] = is_reference_blas(result["blas"])
    with torch.no_grad():
        for size in sizes:
            a = torch.rand(size, size)
            b = torch.rand(size, size)
            out = torch.empty(size, size)
            # A generic (reference) BLAS takes seconds for 2048³: time it once rather than for minutes.
            slow = is_reference_blas(result["blas"]) and size > 1024
            # As many timed calls as bench's side takes (10, or 5 above 1024), so neither gets more
            # chances at a quiet moment of a shared machine.
            result["sgemm"][str(size)] = best_seconds(lambda: torch.mm(a, b, out=out), warmups=0 if slow else 3,
                                                      runs=1 if slow else 5 if size > 1024 else 10)
        linear = torch.nn.Linear(features, features, bias=False)
        quantized = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(linear), {torch.nn.Linear}, dtype=torch.qint8)
        for batch in batches:
            x = torch.rand(batch, features)
            slow = is_reference_blas(result["blas"]) and batch > 1
            result["linear"][str(batch)] = best_seconds(lambda: linear(x), warmups=1 if slow else 3, runs=2 if slow else 10)
            result["quantized_linear"][str(batch)] = best_seconds(lambda: quantized(x))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
