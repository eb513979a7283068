"""Text rendering shared by the channels: numbered choices and splitting long messages.

Channels without buttons (the console, the Zalo Bot Platform, a Zalo OA in text mode) show the
buttons of one answer as numbered lines ("1. Xác nhận"), numbered in order across all messages of
that answer. The core keeps those buttons in the chat's dialogue state, so a bare "2" picks the
second one even after a restart or on another process (see `handlers.dispatch`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.types import Button, Outgoing

EMPTY_TEXT_WITH_CHOICES = "Mời anh/chị chọn:"
CHOICE_HINT = "(Anh/chị nhắn số hoặc tên lựa chọn.)"


def numbered_lines(buttons: Sequence[Button], start: int = 1) -> list[str]:
    return [f"{number}. {button.label}" for number, button in enumerate(buttons, start)]


def numbered_texts(replies: Sequence[Outgoing], hint: bool = False) -> list[str]:
    """One text per reply: its text, its link, then its buttons as numbered lines.

    Numbers continue from one reply to the next, the way the core remembers them. With `hint`,
    the last reply offering choices says how to answer (for users new to numbered menus).
    """
    texts: list[str] = []
    number = 1
    last_with_choices = max((i for i, r in enumerate(replies) if r.buttons), default=-1)
    for index, reply in enumerate(replies):
        lines = [reply.text.strip()] if reply.text.strip() else []
        if reply.link:
            lines.append(reply.link)
        if reply.buttons:
            if not lines:
                lines.append(EMPTY_TEXT_WITH_CHOICES)
            lines.extend(numbered_lines(reply.buttons, number))
            number += len(reply.buttons)
            if hint and index == last_with_choices:
                lines.append(CHOICE_HINT)
        if lines:
            texts.append("\n".join(lines))
    return texts


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split at line boundaries so every part fits `limit` (as counted by `measure`).

    A line too long on its own is split at spaces, and a single word longer than a message is cut
    (never inside a character).
    """
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _fit_line(line, limit, measure):
            candidate = f"{current}\n{piece}" if current else piece
            if current and measure(candidate) > limit:
                parts.append(current)
                current = piece
            else:
                current = candidate
    if current.strip() or not parts:
        parts.append(current)
    return [p for p in parts if p.strip()] or [text[:1] or " "]


def _fit_line(line: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    if measure(line) <= limit:
        return [line]
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while measure(word) > limit:  # a single "word" longer than a message: hard cut
            head, word = _cut(word, limit, measure)
            pieces.append(head)
        current = word
    if current:
        pieces.append(current)
    return pieces


def _cut(word: str, room: int, measure: Callable[[str], int]) -> tuple[str, str]:
    """The longest prefix of `word` within `room` (never splitting a character)."""
    used = 0
    for index, char in enumerate(word):
        used += measure(char)
        if used > room:
            return word[:index], word[index:]
    return word, ""
