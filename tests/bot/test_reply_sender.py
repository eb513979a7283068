"""The reply sender process's core (`bot.reply_sender`) on a real Unix socket against the fake Bot
API: each reply id sent once whoever asks, a chat's parts in order, the sent record before the
answer, and frames it cannot read answered with an error rather than a crash."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.reply_frames import HEADER, MAX_FRAME, encode, read_frame
from bot.reply_handover import ReplyHandover
from bot.reply_sender import ReplySender
from bot.telegram.reply_transport import TelegramPartSender
from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.bot.telegram.server import BackgroundServer

CHAT = "4242"


def text(*parts: str) -> list[dict[str, Any]]:
    return [{"text": p, "markup": None} for p in parts]


@dataclass
class Stage:
    api: FakeTelegram
    sender: ReplySender
    path: str
    records: list[list[tuple[int, str | None]]] = field(default_factory=list)
    slow: float = 0.0  # seconds each Bot API call takes
    hold_record: asyncio.Event | None = None  # the record waits for it when set

    def client(self) -> ReplyHandover:
        return ReplyHandover(self.path, patience=5)


@pytest.fixture
async def stage() -> AsyncIterator[Stage]:
    api = FakeTelegram()
    box: dict[str, Stage] = {}

    async def slow_api(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and box["stage"].slow:
            await asyncio.sleep(box["stage"].slow)
        await api.app(scope, receive, send)

    server = BackgroundServer(slow_api)
    url = await server.start()
    folder = tempfile.mkdtemp(prefix="ks-")  # a Unix socket path must stay short

    async def record(marks: list[tuple[int, str | None]]) -> None:
        held = box["stage"].hold_record
        if held is not None:
            await held.wait()
        box["stage"].records.append(marks)

    transport = TelegramPartSender(TOKEN, url)
    sender = ReplySender({"telegram": transport}, record)
    box["stage"] = Stage(api, sender, f"{folder}/replies.sock")
    listening = await sender.serve(box["stage"].path)
    try:
        yield box["stage"]
    finally:
        listening.close()
        await sender.drain()
        await transport.aclose()
        await server.stop()
        await api.close()
        shutil.rmtree(folder, ignore_errors=True)


async def test_a_reply_in_flight_or_sent_recently_is_sent_once(stage: Stage) -> None:
    """A worker killed while waiting, then the next handler asking for the same reply: one
    sendMessage, both get its result; asked again later, still one."""
    stage.slow = 0.3
    first, second = stage.client(), stage.client()
    waiting = asyncio.create_task(first.send("telegram", CHAT, CHAT, [(7, text("Chào anh"))]))
    await asyncio.sleep(0.1)  # the first request is in flight
    again = await second.send("telegram", CHAT, CHAT, [(7, text("Chào anh"))])
    results = [(await waiting)[0], again[0]]
    later = await second.send("telegram", CHAT, CHAT, [(7, text("Chào anh")),
                                                       (8, text("Mời chị chọn"))])
    assert stage.api.texts(CHAT) == ["Chào anh", "Mời chị chọn"]
    assert {r.message_id for r in [*results, later[0]]} == {results[0].message_id}
    assert all(r.status == "sent" and r.recorded for r in [*results, *later])
    assert stage.records == [[(7, results[0].message_id)], [(8, later[1].message_id)]]
    await first.aclose()
    await second.aclose()


async def test_a_chats_parts_go_out_in_the_order_handed_over(stage: Stage) -> None:
    stage.slow = 0.05
    workers = [stage.client(), stage.client()]
    earlier = asyncio.create_task(workers[0].send(
        "telegram", CHAT, CHAT, [(1, text("1a", "1b")), (2, text("2a"))]))
    await asyncio.sleep(0.02)
    later = asyncio.create_task(workers[1].send("telegram", CHAT, CHAT, [(3, text("3a"))]))
    other = await workers[1].send("telegram", "77", "77", [(4, text("x"))])
    await asyncio.gather(earlier, later)
    assert stage.api.texts(CHAT) == ["1a", "1b", "2a", "3a"]
    assert other[0].status == "sent"
    for worker in workers:
        await worker.aclose()


async def test_the_sent_record_comes_before_the_answer(stage: Stage) -> None:
    stage.hold_record = asyncio.Event()
    worker = stage.client()
    handed = asyncio.create_task(worker.send("telegram", CHAT, CHAT, [(9, text("Dạ"))]))
    await stage.api.wait_for(lambda: len(stage.api.sent(CHAT)) == 1)
    await asyncio.sleep(0.2)
    assert not handed.done() and stage.records == []  # sent, not recorded: no answer yet
    stage.hold_record.set()
    result = (await handed)[0]
    assert result.recorded and stage.records == [[(9, result.message_id)]]
    await worker.aclose()


async def test_frames_it_cannot_read_get_an_error_answer(stage: Stage) -> None:
    reader, writer = await asyncio.open_unix_connection(stage.path)
    body = b"not json"
    writer.write(HEADER.pack(len(body)) + body)
    writer.write(encode({"id": 1, "channel": "telegram", "chat": CHAT}))  # no replies
    writer.write(encode({"id": 2, "channel": "zalo-x", "chat": CHAT, "replies": []}))
    writer.write(encode({"id": 3, "channel": "telegram", "chat": CHAT,
                         "replies": [{"ref": 5, "parts": text("Vẫn chạy")}]}))
    answers = [await read_frame(reader) for _ in range(4)]
    assert [a["id"] for a in answers if a] == [None, 1, 2, 3]
    assert all("error" in a for a in answers[:3] if a)
    assert answers[3] is not None and answers[3]["results"][0]["status"] == "sent"
    writer.write(HEADER.pack(MAX_FRAME + 1))  # a length it cannot trust: the stream is closed
    assert "error" in (await read_frame(reader) or {})
    assert await read_frame(reader) is None
    writer.close()
    worker = stage.client()  # the process goes on serving
    assert (await worker.send("telegram", CHAT, CHAT, [(6, text("Tiếp"))]))[0].status == "sent"
    assert stage.api.texts(CHAT) == ["Vẫn chạy", "Tiếp"]
    await worker.aclose()


async def test_a_worker_waits_for_a_sender_that_is_restarting(stage: Stage) -> None:
    folder = tempfile.mkdtemp(prefix="ks-")
    later_path = f"{folder}/replies.sock"
    worker = ReplyHandover(later_path, patience=5)
    handed = asyncio.create_task(worker.send("telegram", CHAT, CHAT, [(11, text("Sau"))]))
    await asyncio.sleep(0.3)
    assert not handed.done()
    listening = await stage.sender.serve(later_path)
    assert (await handed)[0].status == "sent"
    assert stage.api.texts(CHAT) == ["Sau"]
    await worker.aclose()
    listening.close()
    shutil.rmtree(folder, ignore_errors=True)


async def test_a_restarted_sender_does_not_resend_what_the_database_says_was_sent(
        stage: Stage) -> None:
    """The process that sent reply 21 was killed before answering; the new one, asked by the
    worker again for 21 and 22, sends only 22."""
    asked: list[list[int]] = []

    async def lookup(refs: list[int]) -> dict[int, str | None]:
        asked.append(refs)
        return {21: "900"} if 21 in refs else {}

    async def record(marks: list[tuple[int, str | None]]) -> None:
        stage.records.append(marks)

    restarted = ReplySender(stage.sender.channels, record, lookup=lookup)
    answer = await restarted.answer({"id": 1, "channel": "telegram", "chat": CHAT, "replies": [
        {"ref": 21, "parts": text("Đã gửi")}, {"ref": 22, "parts": text("Chưa gửi")}]})
    assert [r["status"] for r in answer["results"]] == ["sent", "sent"]
    assert answer["results"][0]["message_id"] == "900" and answer["results"][0]["recorded"]
    assert stage.api.texts(CHAT) == ["Chưa gửi"] and asked == [[21, 22]]
    assert stage.records == [[(22, answer["results"][1]["message_id"])]]
