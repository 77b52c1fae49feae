"""Timing shared by the PyTorch peer scripts of bench: the best wall time of repeated calls."""
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
