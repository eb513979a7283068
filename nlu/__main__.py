"""``python -m nlu``: train, parse and evaluate the embedded NLU engine."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from nlu.engine import Engine
from nlu.loader import NluDataError, load_data
from nlu.store import DEFAULT_DATA_DIR, ModelError, default_model_dir, is_fresh
from nlu.training import train_to_dir


def _model_dir(arg: str | None) -> Path:
    return Path(arg) if arg else default_model_dir()


def _engine(args: argparse.Namespace) -> Engine:
    """``--model DIR`` is served as stored (never written); without it the bot's own model is
    used, retrained from nlu/data when that changed."""
    from nlu.api import load_engine

    return load_engine(_model_dir(args.model), train_if_needed=not args.model,
                       threshold=args.threshold, ambiguity_threshold=args.ambiguity_threshold)


def cmd_train(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in (args.data or [DEFAULT_DATA_DIR])]
    out = _model_dir(args.out)
    if args.if_needed and is_fresh(out, paths):
        print(f"Mô hình NLU đã cập nhật, bỏ qua huấn luyện ({out}).")
        return 0
    report = train_to_dir(paths, out)
    print(f"Đã huấn luyện NLU: {report.examples} câu mẫu, {report.intents} ý định, "
          f"thực thể có gán nhãn: {', '.join(report.entity_types) or '-'}")
    print(f"Ngưỡng fallback {report.fallback.threshold}, ngưỡng mơ hồ "
          f"{report.fallback.ambiguity_threshold}, nhiệt độ {report.temperature:.3f}")
    print(f"Thời gian: {report.seconds:.1f} s → {out}")
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    engine = _engine(args)
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    if args.text is not None:
        print(json.dumps(engine.parse(args.text), ensure_ascii=False))
        return 0
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    for line in stdin:
        print(json.dumps(engine.parse(line.rstrip("\r\n")), ensure_ascii=False), flush=True)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from nlu.evaluate import cross_validate, evaluate, format_report

    t0 = time.perf_counter()
    if args.cv:
        data = load_data([Path(p) for p in (args.data or [DEFAULT_DATA_DIR])])
        results = cross_validate(data, args.cv, strip=args.strip_diacritics, seed=args.seed)
    else:
        if not args.data:
            print("Cần --data FILE_OR_DIR hoặc --cv K", file=sys.stderr)
            return 2
        engine = _engine(args)
        data = load_data([Path(p) for p in args.data])
        results = evaluate(engine, data.examples, strip=args.strip_diacritics)
    summary = results.summary()
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(format_report(summary))
        if args.errors:
            print("\nerrors:")
            for text, gold, pred in results.errors():
                print(f"  [{gold} → {pred}] {text}")
        print(f"\n({summary['seconds']} s)")
    return 0


def _threshold_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threshold", type=float, help="fallback threshold (default: from training)")
    p.add_argument("--ambiguity-threshold", type=float, help="top-2 margin for the fallback")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m nlu", description="ketnoi NLU engine")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train the model (Rasa YAML data → model dir)")
    t.add_argument("--data", action="append", help="file or folder (repeatable); default nlu/data")
    t.add_argument("--out", help="model dir (default: KETNOI_NLU_MODEL_DIR or var/nlu-model)")
    t.add_argument("--if-needed", action="store_true", help="skip when the model is up to date")
    t.set_defaults(func=cmd_train)
    p = sub.add_parser("parse", help="parse TEXT, or one message per stdin line")
    p.add_argument("--model", help="model dir")
    p.add_argument("text", nargs="?")
    _threshold_args(p)
    p.set_defaults(func=cmd_parse)
    e = sub.add_parser("evaluate", help="evaluate on test data, or cross-validate with --cv K")
    e.add_argument("--data", action="append", help="test file or folder (with --cv: training data)")
    e.add_argument("--model", help="model dir")
    e.add_argument("--cv", type=int, help="K-fold cross-validation on the training data")
    e.add_argument("--seed", type=int, default=7,
                   help="with --cv: how examples are dealt into folds (default 7)")
    e.add_argument("--strip-diacritics", action="store_true", help="test without diacritics")
    e.add_argument("--json", action="store_true", help="print JSON")
    e.add_argument("--errors", action="store_true", help="list misclassified messages")
    _threshold_args(e)
    e.set_defaults(func=cmd_evaluate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except NluDataError as exc:
        print(f"Lỗi dữ liệu NLU: {exc}", file=sys.stderr)
        return 1
    except ModelError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except BrokenPipeError:  # `... | head`: the reader left, nothing more to say
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
