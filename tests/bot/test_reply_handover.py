"""A worker's side of the reply sender: it never waits forever for an answer (it holds the chat's
lock meanwhile), against a sender that loses a request."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.reply_frames import encode, read_frame
from bot.reply_handover import ReplyHandover, SenderUnavailable

CHAT = "4242"
Answer = Callable[[int, dict[str, Any]], Awaitable[dict[str, Any] | None]]


@pytest.fixture
async def socket_path() -> AsyncIterator[str]:
    folder = tempfile.mkdtemp(prefix="kh-")  # a Unix socket path must stay short
    try:
        yield f"{folder}/replies.sock"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def serve(path: str, answer: Answer) -> asyncio.AbstractServer:
    """A sender that answers the n-th request it reads (any connection) with `answer(n, it)`;
    None: no answer at all."""
    count = [0]

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (request := await read_frame(reader)) is not None:
            count[0] += 1
            reply = await answer(count[0], request)
            if reply is not None:
                writer.write(encode(reply))
                await writer.drain()
        writer.close()

    return await asyncio.start_unix_server(connection, path=path)


def sent(request: dict[str, Any]) -> dict[str, Any]:
    return {"id": request["id"], "results": [{"status": "sent", "message_id": "7"}
                                             for _ in request["replies"]]}


async def test_a_request_the_sender_never_answers_is_left_pending_in_bounded_time(
        socket_path: str) -> None:
    async def never(_n: int, _request: dict[str, Any]) -> None:
        return None

    server = await serve(socket_path, never)
    worker = ReplyHandover(socket_path, patience=5, answer_within=0.3)
    try:
        with pytest.raises(SenderUnavailable):
            await asyncio.wait_for(worker.send("telegram", CHAT, CHAT, [(1, [{"text": "a"}])]),
                                   5)
    finally:
        await worker.aclose()
        server.close()


async def test_a_request_the_sender_could_not_read_is_handed_over_again(
        socket_path: str) -> None:
    """The sender answers a frame it cannot read with an error that names no request: the
    worker cannot tell whose it was, so every request on that connection goes again."""
    async def unreadable_once(n: int, request: dict[str, Any]) -> dict[str, Any]:
        return {"id": None, "error": "not JSON"} if n == 1 else sent(request)

    server = await serve(socket_path, unreadable_once)
    worker = ReplyHandover(socket_path, patience=5)
    try:
        results = await asyncio.wait_for(
            worker.send("telegram", CHAT, CHAT, [(1, [{"text": "a"}])]), 5)
        assert [r.status for r in results] == ["sent"]
    finally:
        await worker.aclose()
        server.close()
