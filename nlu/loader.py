"""Rasa 3.x NLU training data loader (YAML files or folders of them).

Accepts the shapes Rasa accepts: ``examples`` as a block string of ``- item`` lines or as a YAML
list (of strings, or of ``{text: ..., metadata: ...}`` mappings), entity annotations
``[text](entity)``, ``[text](entity:value)`` (Rasa 1/2 shorthand) and
``[text]{"entity": ..., "value": ..., "role": ..., "group": ...}``, plus ``synonym``, ``lookup`` and
``regex`` blocks. Files without an ``nlu:`` key (stories, rules, domain) are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from nlu.pipeline import PipelineConfig


class NluDataError(ValueError):
    """Training data that cannot be read; the message names the file (and line when known)."""


@dataclass(frozen=True, slots=True)
class EntityAnnotation:
    entity: str
    start: int  # offsets into Example.text, end exclusive
    end: int
    text: str
    value: str  # the annotated value, or the text itself
    role: str | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    entities: tuple[EntityAnnotation, ...] = ()


@dataclass
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # variant (as written) → value
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    config: PipelineConfig | None = None  # the project's config.yml (None: defaults)

    def subset(self, examples: list[Example]) -> TrainingData:
        """The same data (lookups, synonyms, regexes, config) with other examples."""
        return TrainingData(examples, self.synonyms, self.lookups, self.regexes, self.files,
                            self.config)

    def lookup_types(self) -> list[str]:
        return sorted(set(self.lookups) | set(self.regexes))

    def merge(self, other: TrainingData) -> None:
        self.examples.extend(other.examples)
        self.synonyms.update(other.synonyms)
        for name, items in other.lookups.items():
            self.lookups.setdefault(name, []).extend(items)
        for name, items in other.regexes.items():
            self.regexes.setdefault(name, []).extend(items)
        self.files.extend(other.files)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    def entity_types(self) -> list[str]:
        return sorted({a.entity for e in self.examples for a in e.entities})


# [text](entity) / [text](entity:value) / [text]{json} ; text may not contain "]".
_ANNOTATION_RE = re.compile(r"\[(?P<text>[^\]]+?)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")
_LIST_ITEM_RE = re.compile(r"^\s*-\s?(.*)$")


def parse_annotated(raw: str) -> tuple[str, list[EntityAnnotation]]:
    """Turn ``find [vải](product) in ...`` into plain text plus entity annotations."""
    parts: list[str] = []
    entities: list[EntityAnnotation] = []
    pos, length = 0, 0
    for m in _ANNOTATION_RE.finditer(raw):
        before = raw[pos : m.start()]
        parts.append(before)
        length += len(before)
        surface = m.group("text")
        entity, value, role, group = _annotation_fields(m, surface)
        if entity:
            entities.append(
                EntityAnnotation(entity, length, length + len(surface), surface, value, role, group)
            )
        parts.append(surface)
        length += len(surface)
        pos = m.end()
    parts.append(raw[pos:])
    return "".join(parts), entities


def _annotation_fields(m: re.Match[str], surface: str) -> tuple[str, str, str | None, str | None]:
    if m.group("short"):
        entity, _, value = m.group("short").partition(":")
        return entity.strip(), (value.strip() or surface), None, None
    try:
        spec = json.loads(m.group("json"))
    except json.JSONDecodeError:
        return "", surface, None, None
    if not isinstance(spec, dict) or not isinstance(spec.get("entity"), str):
        return "", surface, None, None
    value = spec.get("value", surface)
    return (
        spec["entity"],
        str(value) if value is not None else surface,
        _opt_str(spec.get("role")),
        _opt_str(spec.get("group")),
    )


def _opt_str(v: Any) -> str | None:
    return None if v is None else str(v)


def _items(examples: Any) -> Iterator[str]:
    """Yield example strings from a block string or a YAML list (Rasa accepts both)."""
    if examples is None:
        return
    if isinstance(examples, str):
        for line in examples.splitlines():
            m = _LIST_ITEM_RE.match(line)
            if m and m.group(1).strip():
                yield m.group(1).strip()
        return
    if isinstance(examples, list):
        for item in examples:
            if isinstance(item, dict):
                text = item.get("text")
                if isinstance(text, str) and text.strip():
                    yield text.strip()
            elif isinstance(item, str | int | float) and str(item).strip():
                yield str(item).strip()


def _parse_block(block: Any, data: TrainingData, where: str) -> None:
    if not isinstance(block, dict):
        raise NluDataError(f"{where}: each item under 'nlu:' must be a mapping")
    examples = block.get("examples")
    if "intent" in block:
        intent = str(block["intent"]).strip()
        for raw in _items(examples):
            text, ents = parse_annotated(raw)
            data.examples.append(Example(text, intent, tuple(ents)))
    elif "synonym" in block:
        value = str(block["synonym"])
        for raw in _items(examples):
            data.synonyms[raw] = value
    elif "lookup" in block:
        data.lookups.setdefault(str(block["lookup"]), []).extend(_items(examples))
    elif "regex" in block:
        data.regexes.setdefault(str(block["regex"]), []).extend(_items(examples))


def load_file(path: Path) -> TrainingData:
    """Load one YAML file; returns empty data for files that hold no ``nlu:`` key."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise NluDataError(f"{path}{line}: invalid YAML ({problem})") from exc
    except UnicodeDecodeError as exc:
        raise NluDataError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    data = TrainingData(files=[path])
    if not isinstance(doc, dict) or "nlu" not in doc:
        return data
    blocks = doc["nlu"] or []
    if not isinstance(blocks, list):
        raise NluDataError(f"{path}: 'nlu' must be a list of blocks")
    for i, block in enumerate(blocks):
        _parse_block(block, data, f"{path} (nlu item {i + 1})")
    return data


def data_files(paths: Iterable[Path]) -> list[Path]:
    """Every .yml/.yaml file under the given files or folders, sorted for a stable hash."""
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found.extend(q for q in p.rglob("*") if q.suffix in (".yml", ".yaml") and q.is_file())
        elif p.is_file():
            found.append(p)
        else:
            raise NluDataError(f"{p}: no such file or folder")
    return sorted(set(found))


def load_data(paths: Path | Iterable[Path]) -> TrainingData:
    """Load and merge every Rasa NLU file under ``paths`` (a file, a folder, or several)."""
    from nlu.pipeline import config_file, load_config

    items = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else list(paths))]
    data = TrainingData()
    config = config_file(items)
    for f in data_files(items):
        if f != config:
            data.merge(load_file(f))
    data.config = load_config(items)
    return data
