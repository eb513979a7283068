"""NLU benchmark: model load time, warm parse latency p50/p99, batch throughput, CV accuracy.

Usage: .venv/bin/python benchmarks/nlu_bench.py [--model DIR] [--cv K] [--no-cv]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu.engine import Engine  # noqa: E402
from nlu.evaluate import cross_validate  # noqa: E402
from nlu.loader import load_data  # noqa: E402
from nlu.training import DEFAULT_DATA_DIR, is_fresh, train_to_dir  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--cv", type=int, default=5)
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    model_dir = args.model or Path(tempfile.mkdtemp(prefix="nlu-bench-"))
    if not is_fresh(model_dir, [DEFAULT_DATA_DIR]):
        t0 = time.perf_counter()
        train_to_dir([DEFAULT_DATA_DIR], model_dir)
        print(f"train: {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    engine = Engine.load(model_dir)
    engine.parse("khởi động")  # first parse opens the CRF tagger
    print(f"model load: {(time.perf_counter() - t0) * 1000:.0f} ms")

    messages = [e.text for e in load_data(DEFAULT_DATA_DIR).examples]
    for m in messages[:50]:
        engine.parse(m)  # warm-up
    latencies: list[float] = []
    gc.disable()
    for _ in range(args.rounds):
        for m in messages:
            t = time.perf_counter()
            engine.parse(m)
            latencies.append((time.perf_counter() - t) * 1000)
    gc.enable()
    mean_len = statistics.mean(len(m) for m in messages)
    print(f"parse latency over {len(latencies)} calls (mean {mean_len:.0f} chars): "
          f"p50 {percentile(latencies, 0.5):.3f} ms, p90 {percentile(latencies, 0.9):.3f} ms, "
          f"p99 {percentile(latencies, 0.99):.3f} ms")

    t = time.perf_counter()
    for m in messages:
        engine.parse(m)
    elapsed = time.perf_counter() - t
    print(f"batch throughput: {len(messages) / elapsed:.0f} messages/s")

    long_text = "cần công nghệ sấy vải thiều ở Bắc Giang, ngân sách 500tr. " * 200
    t = time.perf_counter()
    engine.parse(long_text)
    print(f"long message ({len(long_text)} chars): {(time.perf_counter() - t) * 1000:.1f} ms")

    if not args.no_cv:
        report_cv(args.cv)


def report_cv(folds: int) -> None:
    data = load_data(DEFAULT_DATA_DIR)
    for strip in (False, True):
        t = time.perf_counter()
        s = cross_validate(data, folds, strip=strip).summary()
        label = "without diacritics" if strip else "as written"
        print(f"{folds}-fold CV ({label}): accuracy {s['accuracy']:.4f} "
              f"(ignoring the fallback {s['accuracy_without_fallback']:.4f}), "
              f"macro-F1 {s['macro_f1']:.4f}, fallback rate {s['fallback_rate']:.4f} "
              f"({time.perf_counter() - t:.0f} s)")


if __name__ == "__main__":
    main()
