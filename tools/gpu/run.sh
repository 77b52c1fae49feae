#!/usr/bin/env bash
# Runs the test suite and the benchmark on a GPU machine that has an NVIDIA driver but no .NET.
#
#   tools/gpu/run.sh pack   (on the build machine, from anywhere in the repository)
#       Publishes Gpu.Tests (the NUnit runner executable) and bench as self-contained
#       linux-x64 apps into one folder, so they share a single copy of the runtime, and packs it
#       as tools/gpu/pack/gpuc-gpu.tar.gz (ignored by git; kept under 60 MB so it can travel with
#       the working tree). Then checks that the packed test runner starts here.
#
#   tools/gpu/run.sh run    (on the GPU machine, in a copy of the repository carrying tools/gpu/pack)
#       Unpacks the archive into tools/gpu/pack/unpacked, runs the tests with GPUC_TEST_DEVICES=cuda
#       (device fixtures on CUDA devices only, i.e. ILGPU's CUDA engine and cuBLAS; the device-free
#       tests run too) and then the bench.
#       Logs go to $OUT when it is set, else to ./gpu-results: device.txt (nvidia-smi, if
#       present), tests.log, bench.log. Exits non-zero when the tests fail.
#
# Environment: GPUC_BENCH_DEVICES lists the devices benchmarked (default cuda:0). Nothing else is
# needed on the GPU machine beyond the NVIDIA driver (libcuda, NVML) and cuBLAS for the GEMM route.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repository="$(cd "$script_dir/../.." && pwd)"
pack_dir="$script_dir/pack"
archive="$pack_dir/gpuc-gpu.tar.gz"
size_limit_mb=60

pack() {
    local staging="$pack_dir/staging"
    rm -rf "$staging" "$archive"
    mkdir -p "$staging"
    cd "$repository"
    dotnet publish Gpu.Tests -c Release -r linux-x64 --self-contained -o "$staging" -v quiet -nologo
    dotnet publish bench -c Release -r linux-x64 --self-contained -o "$staging" -v quiet -nologo
    tar -C "$staging" -czf "$archive" .
    local size_mb=$(( $(stat -c %s "$archive") / 1024 / 1024 ))
    echo "packed $archive (${size_mb} MB)"
    if (( size_mb >= size_limit_mb )); then
        echo "the archive exceeds ${size_limit_mb} MB" >&2
        exit 1
    fi
    echo "checking the packed test runner starts here:"
    "$staging/Gpu.Tests" --list-tests > "$pack_dir/list-tests.log"
    grep -c "" "$pack_dir/list-tests.log" | sed 's/^/  lines listed: /'
    rm -rf "$staging"
}

run() {
    local out="${OUT:-$PWD/gpu-results}"
    mkdir -p "$out"
    if [[ ! -f "$archive" ]]; then
        echo "no $archive: run '$0 pack' on the build machine and carry tools/gpu/pack" >&2
        exit 2
    fi
    # Unpacked inside the repository: the bench finds tools/reference (its PyTorch peer) by
    # walking up from its own folder.
    work="$pack_dir/unpacked"
    rm -rf "$work"
    mkdir -p "$work"
    trap 'rm -rf "$work"' EXIT
    tar -C "$work" -xzf "$archive"
    { command -v nvidia-smi > /dev/null && nvidia-smi || echo "nvidia-smi not found"; } > "$out/device.txt" 2>&1
    export GPUC_TEST_DEVICES=cuda
    local tests_status=0
    (cd "$work" && ./Gpu.Tests --results-directory "$out/test-results" --output detailed) > "$out/tests.log" 2>&1 || tests_status=$?
    tail -n 5 "$out/tests.log"
    local bench_status=0
    # The GPU alone by default: the CPU suites there measure the GPU machine's host, not the GPU.
    (cd "$work" && ./bench --devices "${GPUC_BENCH_DEVICES:-cuda:0}") > "$out/bench.log" 2>&1 || bench_status=$?
    tail -n 20 "$out/bench.log"
    echo "tests exit $tests_status, bench exit $bench_status; logs in $out"
    return $(( tests_status != 0 ? tests_status : bench_status ))
}

case "${1:-}" in
    pack) pack ;;
    run) run ;;
    *) sed -n '2,18p' "$0"; exit 2 ;;
esac
