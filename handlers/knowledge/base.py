"""A topic of curated content, and routing a message to the topic it asks about."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from nlu.normalize import search_words


@dataclass(frozen=True, slots=True)
class Topic:
    id: str  # short ASCII id, used in button payloads ("ip:tm", "fund:natif")
    title: str  # Vietnamese heading
    keywords: tuple[str, ...]  # phrases that signal the topic, any diacritics
    summary: str  # two or three sentences: what it is, who it is for
    prepare: tuple[str, ...] = ()  # what to prepare (hồ sơ, thông tin)
    where: str = ""  # where to apply / whom to ask
    note: str = ""  # a caveat worth saying
    button: str = ""  # short label for a menu button (≤ 30 chars)


MAX_GAP = 2  # words allowed between two keyword words: "quỹ KH&CN của tỉnh" ~ "quỹ ... tỉnh"


@lru_cache(maxsize=1024)
def _words(text: str) -> tuple[str, ...]:
    """Plain, abbreviation-expanded words: "shtt" and "sở hữu trí tuệ" compare equal."""
    return tuple(search_words(text))


def _occurs(keyword: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """The keyword's words appear in order, each at most MAX_GAP words after the previous one."""
    for start, word in enumerate(words):
        if word != keyword[0]:
            continue
        pos, ok = start, True
        for kw in keyword[1:]:
            window = words[pos + 1: pos + 2 + MAX_GAP]
            if kw not in window:
                ok = False
                break
            pos += 1 + window.index(kw)
        if ok:
            return True
    return False


def _score(words: tuple[str, ...], topic: Topic) -> int:
    """Evidence for the topic: the summed length of its keywords found. Specific phrases weigh
    more ("nhãn hiệu tập thể" beats "nhãn hiệu"), and several signals ("vay vốn", "vay ưu đãi")
    beat one broad phrase ("đổi mới công nghệ")."""
    return sum(len(" ".join(_words(kw))) for kw in topic.keywords
               if _words(kw) and _occurs(_words(kw), words))


def match_topic(text: str, topics: Sequence[Topic]) -> Topic | None:
    """The topic whose most specific keyword occurs in the message, or None."""
    words = tuple(search_words(text[:2000]))
    scored = [(_score(words, t), i, t) for i, t in enumerate(topics)]
    best = max(scored, key=lambda s: (s[0], -s[1]), default=None)
    return best[2] if best and best[0] > 0 else None


def topic_by_id(topic_id: str, topics: Sequence[Topic]) -> Topic | None:
    return next((t for t in topics if t.id == topic_id), None)


def render_topic(topic: Topic) -> str:
    """A short answer: heading, summary, what to prepare, where to go, caveat."""
    parts = [f"📌 {topic.title}", topic.summary]
    if topic.prepare:
        parts.append("Hồ sơ, thông tin cần chuẩn bị:\n" + "\n".join(f"• {p}" for p in topic.prepare))
    if topic.where:
        parts.append(f"Nộp ở đâu / hỏi ai: {topic.where}")
    if topic.note:
        parts.append(f"Lưu ý: {topic.note}")
    return "\n\n".join(parts)
