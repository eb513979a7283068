"""What every channel's text goes through before the core sees it.

Channels hand over whatever arrived: a NUL byte (PostgreSQL refuses to store it), a lone UTF-16
surrogate from a forged JSON body (it cannot be encoded, so the message log and the database would
fail), terminal escape sequences from arrow keys on the console. Each such character becomes
U+FFFD, the usual "could not be read" mark, which the slot parsers recognise and explain.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.types import Incoming

UNREADABLE = "\ufffd"
# C0 controls except tab/newline/carriage return, DEL, C1 controls, lone surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def readable(text: str | None) -> str | None:
    if not text:
        return text
    return _UNSAFE.sub(UNREADABLE, text)


def clean(incoming: Incoming) -> Incoming:
    """The same message with unsafe characters in its text, name and payload replaced."""
    fields = {"text": incoming.text, "user_name": incoming.user_name, "payload": incoming.payload}
    cleaned = {name: readable(value) for name, value in fields.items()}
    if cleaned == fields:
        return incoming
    return replace(incoming, **cleaned)  # type: ignore[arg-type]
