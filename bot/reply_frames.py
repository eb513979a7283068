"""The frames between bot workers and the reply sender process (`bot.reply_sender`).

Over a local Unix socket, each frame is a 4-byte big-endian length and that many bytes of JSON.
A request names its channel, chat and user and carries the replies in order, each with its
outbox row id (`ref`, None for a message that is no stored reply, such as an apology) and the
parts it goes out as, already rendered by the worker:

    {"id": 7, "channel": "telegram", "chat": "42", "user": "42", "apology": "..." | null,
     "replies": [{"ref": 1234, "parts": [{"text": "...", "markup": {...} | null,
                                          "file": {"kind", "filename", "data" (base64),
                                                   "url"} | null}]}]}

The answer has one result per reply, in order (`recorded`: the sender process has recorded it
sent in the database), or an error for a request it could not read:

    {"id": 7, "results": [{"status": "sent", "message_id": "5", "reason": null,
                           "retry_after": null, "recorded": true}]}
    {"id": 7, "error": "..."}
"""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

from bot.types import SendResult, SendStatus

HEADER = struct.Struct(">I")
MAX_FRAME = 64 << 20  # a reply's files travel inside the frame; anything larger is a mistake


class FrameError(Exception):
    """A frame that cannot be read: too large, cut short, or not a JSON object."""


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HEADER.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The next frame's object; None at a clean end of the stream. A length past MAX_FRAME
    raises FrameError before anything is read (the stream cannot be trusted after it); a body
    that is not a JSON object raises FrameError with the stream still in step."""
    try:
        header = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as short:
        if not short.partial:
            return None
        raise FrameError("frame header cut short") from short
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise FrameError(f"frame of {size} bytes is over {MAX_FRAME}")
    try:
        body = await reader.readexactly(size)
    except asyncio.IncompleteReadError as short:
        raise FrameError("frame body cut short") from short
    try:
        message = json.loads(body)
    except ValueError as error:
        raise BadRequest(f"not JSON: {error}") from error
    if not isinstance(message, dict):
        raise BadRequest("a frame must be a JSON object")
    return message


class BadRequest(FrameError):
    """A whole frame that is not a request: answered with an error, the stream goes on."""


def result_to_dict(result: SendResult) -> dict[str, Any]:
    return {"status": result.status, "message_id": result.message_id, "reason": result.reason,
            "retry_after": result.retry_after, "recorded": result.recorded}


def result_from_dict(data: dict[str, Any]) -> SendResult:
    given = data.get("status")
    status: SendStatus = (given if given in ("sent", "retry", "blocked", "failed")
                          else "failed")
    retry_after = data.get("retry_after")
    return SendResult(status, message_id=data.get("message_id"),
                      retry_after=float(retry_after) if retry_after is not None else None,
                      reason=data.get("reason"), recorded=bool(data.get("recorded")))
