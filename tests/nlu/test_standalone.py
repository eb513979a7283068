"""nlu/ is standalone: it imports nothing of ours, so another project can use it as it is."""

import ast
from pathlib import Path

NLU = Path(__file__).resolve().parents[2] / "nlu"
OURS = ("bot", "handlers", "storage", "tests", "benchmarks")


def test_nlu_imports_nothing_of_ours() -> None:
    found = []
    for path in NLU.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in OURS]
    assert found == []
