"""NLU benchmark on any Rasa dataset: training time and memory, model load, warm parse latency
p50/p99, throughput, cross-validated intent accuracy (with and without diacritics) and entity
scores per type, and held-out test sets.

Usage: .venv/bin/python benchmarks/nlu_bench.py [--data PATH ...] [--test PATH ...] [--cv K]
       [--no-cv] [--model DIR] [--rounds N] [--tune-crf]
Times are wall-clock and process CPU: on a shared machine CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlu.engine import Engine  # noqa: E402
from nlu.evaluate import PRF, cross_validate, entity_cross_validate, evaluate  # noqa: E402
from nlu.loader import TrainingData, load_data  # noqa: E402
from nlu.pipeline import PipelineConfig  # noqa: E402
from nlu.store import DEFAULT_DATA_DIR, is_fresh  # noqa: E402
from nlu.training import train_to_dir  # noqa: E402

HELDOUT = [ROOT / "tests" / "nlu" / "data" / "heldout.yml",
           ROOT / "tests" / "nlu" / "data" / "heldout_people.yml",
           ROOT / "tests" / "nlu" / "data" / "heldout_long.yml"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def micro_f1(scores: dict[str, PRF]) -> float:
    tp = sum(p.tp for p in scores.values())
    wrong = sum(p.fp + p.fn for p in scores.values())
    return 2 * tp / (2 * tp + wrong) if tp else 0.0


def train(data: list[Path], model_dir: Path) -> None:
    if is_fresh(model_dir, data):
        return
    wall, cpu = time.perf_counter(), time.process_time()
    report = train_to_dir(data, model_dir)
    print(f"train: {report.examples} examples, {report.intents} intents, "
          f"{len(report.entity_types)} entity types: {time.perf_counter() - wall:.1f} s wall, "
          f"{time.process_time() - cpu:.1f} s CPU, peak memory "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


def latency(engine: Engine, messages: list[str], rounds: int) -> None:
    """Wall-clock and CPU time per parse: on a loaded machine the CPU figure is the steady one."""
    for m in messages[:50]:
        engine.parse(m)  # warm-up
    wall: list[float] = []
    cpu: list[float] = []
    gc.disable()
    for _ in range(rounds):
        for m in messages:
            t, c = time.perf_counter(), time.thread_time()
            engine.parse(m)
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - t) * 1000)
    gc.enable()
    mean_len = statistics.mean(len(m) for m in messages)
    for name, values in (("wall", wall), ("CPU", cpu)):
        print(f"parse latency ({name}) over {len(values)} calls (mean {mean_len:.0f} chars): "
              f"p50 {percentile(values, 0.5):.3f} ms, p90 {percentile(values, 0.9):.3f} ms, "
              f"p99 {percentile(values, 0.99):.3f} ms")
    t = time.perf_counter()
    for m in messages:
        engine.parse(m)
    print(f"batch throughput: {len(messages) / (time.perf_counter() - t):.0f} messages/s")


def long_message(engine: Engine, runs: int = 9) -> None:
    """A pasted letter: the same ask repeated, and a long story with the ask at its end."""
    story = ("Hợp tác xã có 120 thành viên trồng vải thiều trên 300 ha, mỗi năm thu hoạch "
             "khoảng 4.000 tấn quả, bán tươi cho thương lái. ")
    ask = "Chúng tôi cần công nghệ sấy vải bằng bơm nhiệt, ngân sách 2 tỷ, gọi 0912345678."
    for name, text in (("repeated ask", "cần công nghệ sấy vải thiều ở Bắc Giang, ngân sách "
                        "500tr. " * 200), ("story then ask", story * 85 + ask)):
        wall: list[float] = []
        cpu: list[float] = []
        for _ in range(runs):
            t, c = time.perf_counter(), time.thread_time()
            result = engine.parse(text)
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - t) * 1000)
        print(f"long message, {name} ({len(text)} chars): median {statistics.median(cpu):.1f} ms "
              f"CPU, {statistics.median(wall):.1f} ms wall; intent {result['intent']['name']}, "
              f"{len(result['entities'])} entities")


def test_sets(engine: Engine, tests: list[Path]) -> None:
    for path in tests:
        examples = load_data([path]).examples
        for strip in (False, True):
            res = evaluate(engine, examples, strip=strip)
            s = res.summary()
            label = "without diacritics" if strip else "as written"
            slots = f", slot micro-F1 {micro_f1(res.entities):.4f}" if res.entities else ""
            print(f"{path.name} ({label}): intent accuracy {s['accuracy']:.4f} over "
                  f"{s['examples']}{slots}")


def report_cv(data: TrainingData, folds: int) -> None:
    for strip in (False, True):
        t, cpu = time.perf_counter(), time.process_time()
        s = cross_validate(data, folds, strip=strip).summary()
        label = "without diacritics" if strip else "as written"
        print(f"{folds}-fold CV ({label}): accuracy {s['accuracy']:.4f} "
              f"(ignoring the fallback {s['accuracy_without_fallback']:.4f}), "
              f"macro-F1 {s['macro_f1']:.4f}, fallback rate {s['fallback_rate']:.4f} "
              f"({time.perf_counter() - t:.0f} s, {time.process_time() - cpu:.0f} s CPU)")
        print("  entity F1 per type: " + ", ".join(
            f"{k} {v['f1']:.3f} (n={v['support']})" for k, v in s["entities"].items()))


def tune_crf(data: TrainingData, folds: int) -> None:
    """Entity-only CV over CRF settings: what nlu/data/config.yml's CRF settings come from."""
    base = data.config or PipelineConfig()
    grid = [("l2sgd", 0.0, c2, it) for c2 in (0.001, 0.01, 0.1) for it in (30, 60)]
    grid += [("lbfgs", c1, c2, it) for c1, c2 in ((0.05, 0.01), (0.1, 0.01), (0.01, 0.05))
             for it in (60,)]
    print(f"CRF settings, {folds}-fold entity CV (micro-F1, sector, product as written / "
          "without diacritics; CPU seconds):")
    for algo, c1, c2, it in grid:
        cfg = dataclasses.replace(base, crf_algorithm=algo, crf_c1=c1, crf_c2=c2,
                                  crf_iterations=it)
        cpu = time.process_time()
        tuned = dataclasses.replace(data, config=cfg)
        scores = entity_cross_validate(tuned, folds)
        bare = entity_cross_validate(tuned, folds, strip=True)
        per = {k: v.scores()["f1"] for k, v in scores.items()}
        per_bare = {k: v.scores()["f1"] for k, v in bare.items()}
        print(f"  {algo:<5} c1={c1:<5} c2={c2:<5} iterations={it:<3} micro {micro_f1(scores):.4f}"
              f"  sector {per.get('sector', 0):.3f}/{per_bare.get('sector', 0):.3f}"
              f"  product {per.get('product', 0):.3f}/{per_bare.get('product', 0):.3f}"
              f"  ({time.process_time() - cpu:.0f} s)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, action="append", help="Rasa data (default nlu/data)")
    ap.add_argument("--test", type=Path, action="append",
                    help="held-out test file (default: the held-out sets for nlu/data)")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--cv", type=int, default=5)
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tune-crf", action="store_true", help="compare CRF settings and stop")
    args = ap.parse_args()
    data_paths = args.data or [DEFAULT_DATA_DIR]
    data = load_data(data_paths)
    if args.tune_crf:
        tune_crf(data, args.cv)
        return
    model_dir = args.model or Path(tempfile.mkdtemp(prefix="nlu-bench-"))
    train(data_paths, model_dir)
    t0 = time.perf_counter()
    engine = Engine.load(model_dir)
    engine.parse("khởi động")  # the first parse opens the CRF tagger
    print(f"model load: {(time.perf_counter() - t0) * 1000:.0f} ms")
    latency(engine, [e.text for e in data.examples], args.rounds)
    long_message(engine)
    tests = args.test if args.test is not None else (HELDOUT if not args.data else [])
    test_sets(engine, tests)
    if not args.no_cv:
        report_cv(data, args.cv)


if __name__ == "__main__":
    main()
