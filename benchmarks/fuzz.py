"""Fuzz every entry point with a bigger budget than the test suite, and say what was found.

Runs the hypothesis tests of tests/fuzz/ (Telegram polling and webhook through the real PTB path
and the real core against the fake Bot API, the Zalo Bot Platform's webhook and polling and the
Zalo OA's signed webhook events against their fake APIs, dialogues of texts, forged callback data and other
content on SQLite and PostgreSQL, console lines of any bytes, import rows) with the "fuzz"
profile, then prints how many inputs each entry point took and every failure with hypothesis'
smallest falsifying example.

    .venv/bin/python benchmarks/fuzz.py [--examples 400] [-k EXPR] [--seed N] [--suite]

--suite runs the test suite's own budget (the "suite" profile) to show what `make test` tries.

PostgreSQL runs come from KETNOI_TEST_POSTGRES_URL (skipped when unreachable). Exit code 1 when
something was found.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402


class Findings:
    """A pytest plugin keeping each failed test's falsifying example."""

    def __init__(self) -> None:
        self.failed: list[tuple[str, str]] = []
        self.passed = 0
        self.skipped = 0

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed:
            self.failed.append((report.nodeid, _falsifying(report.longreprtext)))
        elif report.skipped:
            self.skipped += 1
        elif report.passed and report.when == "call":
            self.passed += 1


def _falsifying(text: str) -> str:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "Falsifying example" in line), None)
    error = [line for line in lines if line.startswith("E ")][:6]
    example = lines[start : start + 12] if start is not None else []
    return "\n".join(["    " + line for line in [*error, *example]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=400, help="inputs per fuzz test")
    parser.add_argument("-k", default=None, help="only the fuzz tests matching this expression")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (reproduce a run)")
    parser.add_argument("--suite", action="store_true", help="the test suite's budget instead")
    args = parser.parse_args()
    os.environ["KETNOI_FUZZ_PROFILE"] = "suite" if args.suite else "fuzz"
    os.environ["KETNOI_FUZZ_EXAMPLES"] = str(args.examples)
    options = ["-q", "-p", "no:cacheprovider", "--no-header", "-rN", str(ROOT / "tests/fuzz")]
    if args.k:
        options += ["-k", args.k]
    if args.seed is not None:
        options += [f"--hypothesis-seed={args.seed}"]
    findings = Findings()
    began = time.perf_counter()
    pytest.main(options, plugins=[findings])
    seconds = time.perf_counter() - began

    from tests.fuzz.tally import TRIED

    budget = "the test suite's budget" if args.suite else f"{args.examples} examples per test"
    print(f"\nfuzz: {budget}, {seconds:.0f} s")
    print(f"{'entry point':<36} {'inputs tried':>12}")
    for entry, count in sorted(TRIED.items()):
        print(f"{entry:<36} {count:>12}")
    print(f"{'total':<36} {sum(TRIED.values()):>12}")
    print(f"tests: {findings.passed} passed, {len(findings.failed)} failed, "
          f"{findings.skipped} skipped")
    if not findings.failed:
        print("found: nothing")
        return 0
    print("found:")
    for nodeid, example in findings.failed:
        print(f"  {nodeid}\n{example}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
