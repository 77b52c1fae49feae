"""Timing shared by the PyTorch peer scripts of bench: the best wall time of repeated calls."""
import json
import sys
import time


def best_seconds(work, warmups=3, runs=10):
    """Runs work() warmups times untimed, then runs times; returns the fastest run in seconds."""
    for _ in range(warmups):
        work()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def best_ms_within(work, budget_s=3.0, runs=3):
    """For calls that may take seconds: a warm-up call, then timed calls until runs are done or
    the budget is spent. Returns the best wall time and the best processor time (all threads) of
    one call, in ms; the warm-up counts when nothing else fits."""
    start, cpu_start = time.perf_counter(), time.process_time()
    work()
    first, first_cpu = time.perf_counter() - start, time.process_time() - cpu_start
    best, best_cpu, spent = first, first_cpu, first
    for _ in range(runs):
        if spent > budget_s:
            break
        start, cpu_start = time.perf_counter(), time.process_time()
        work()
        elapsed = time.perf_counter() - start
        best, best_cpu, spent = min(best, elapsed), min(best_cpu, time.process_time() - cpu_start), spent + elapsed
    return best * 1e3, best_cpu * 1e3


def run_cases(measure):
    """The peer scripts' command line: argv[1] a JSON list of argument lists, argv[2] the thread
    count; prints {"results": [measure(*case), ...]} as JSON, every case run without autograd."""
    import torch
    cases = json.loads(sys.argv[1])
    torch.set_num_threads(int(sys.argv[2]))
    with torch.no_grad():
        results = [measure(*case) for case in cases]
    print(json.dumps({"results": results}))
