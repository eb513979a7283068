"""Several `ketnoi serve` processes on one PostgreSQL database (as behind a load balancer).

Updates of one chat reach both processes; each reply must come once, in the order the user wrote,
also when a process is SIGKILLed in the middle of an update (the other one takes its stored
update over). The same with the chat locks in Redis.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.chat_turns import SWEEP_EVERY_S
from storage.db import Database
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.telegram.server import BackgroundServer
from tests.bot.telegram.serving import (
    ServeProcess,
    Webhook,
    create_database,
    demands_per_user,
    drop_database,
    free_port,
    same,
    settle,
)
from tests.storage.conftest import PG_URL, _pg_reachable

REDIS_URL = os.environ.get("KETNOI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# A find-technology demand, typed (a typed button label presses the button).
DIALOGUE = ["cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu",
            "Công ty TNHH Minh Phát", "0912345678", "Đồng ý", "Xác nhận"]
CONFIRMED = "nhu cầu số"


class Cluster:
    def __init__(self, api: FakeTelegram, processes: list[ServeProcess], db_url: str) -> None:
        self.api = api
        self.processes = processes
        self.db_url = db_url
        self.hook = Webhook([p.url for p in processes])

    async def reference(self, chat_id: int) -> list[str]:
        """The dialogue one message at a time, each answered before the next."""
        for step, line in enumerate(DIALOGUE):
            before = len(self.api.sent(chat_id))
            await self.hook.post(self.api.message(chat_id, line), first=step % 2)
            await self.api.wait_for(lambda b=before: len(self.api.sent(chat_id)) > b, 60)
            await settle(self.api, chat_id)
        return self.api.texts(chat_id)

    async def demands(self) -> dict[str, int]:
        return await demands_per_user(self.db_url)




@pytest.fixture
async def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Cluster]:
    if not await _pg_reachable():
        if os.environ.get("KETNOI_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but not reachable at {PG_URL}")
        pytest.skip("PostgreSQL not reachable")
    env = getattr(request, "param", None) or {}
    api = FakeTelegram()
    server = BackgroundServer(api.app)
    api_url = await server.start()
    db_url = await create_database(PG_URL)
    db = Database(db_url)
    await db.upgrade()  # once, before two processes start on it
    await db.dispose()
    processes = [ServeProcess(db_url, api_url, free_port(), log=tmp_path / f"bot{n}.log", env=env)
                 for n in range(2)]
    try:
        await asyncio.gather(*(p.start() for p in processes))
        yield Cluster(api, processes, db_url)
    finally:
        await asyncio.gather(*(p.stop() for p in processes), return_exceptions=True)
        await api.close()
        await server.stop()
        await drop_database(PG_URL, db_url)


REDIS = {"KETNOI_REDIS_URL": REDIS_URL, "KETNOI_REDIS_PREFIX": f"t{os.getpid()}"}


@pytest.mark.parametrize("cluster", [None, REDIS], ids=["postgresql-lock", "redis-lock"],
                         indirect=True)
async def test_two_processes_answer_each_update_once_in_the_order_written(
        cluster: Cluster) -> None:
    api = cluster.api
    reference = same(await cluster.reference(900_000))
    assert any(CONFIRMED in t for t in reference)  # the dialogue reaches a stored demand
    chats = [900_001 + n for n in range(6)]

    async def write(chat_id: int) -> None:  # no waiting for replies, each line to the other one
        for step, line in enumerate(DIALOGUE):
            await cluster.hook.post(api.message(chat_id, line), first=(step + chat_id) % 2)

    await asyncio.gather(*(write(c) for c in chats))
    await api.wait_for(lambda: all(len(api.sent(c)) >= len(reference) for c in chats), 120)
    for chat_id in chats:
        await settle(api, chat_id)
        assert same(api.texts(chat_id)) == reference, f"chat {chat_id}"
    assert {c: n for c, n in (await cluster.demands()).items()} == {
        str(c): 1 for c in [900_000, *chats]}


async def test_a_process_killed_mid_update_loses_nothing(cluster: Cluster) -> None:
    """Process 0 takes one update of each dialogue and is SIGKILLed 0-80 ms later; the rest goes
    to process 1, which handles the stored update first (or, after the last line, takes it over
    once it is a few seconds old). Process 0 then starts again."""
    api, doomed = cluster.api, cluster.processes[0]
    reference = same(await cluster.reference(910_000))
    rng = random.Random(7)
    chats = [910_001 + n for n in range(3)]
    for chat_id in chats:
        kill_step = rng.randrange(len(DIALOGUE))
        for step, line in enumerate(DIALOGUE):
            before = len(api.sent(chat_id))
            if step == kill_step:
                await cluster.hook.post(api.message(chat_id, line), first=0)
                await asyncio.sleep(rng.uniform(0, 0.08))
                doomed.kill()
            else:
                await cluster.hook.post(api.message(chat_id, line), first=1)
            await api.wait_for(lambda c=chat_id, b=before: len(api.sent(c)) > b, 60)
            await settle(api, chat_id)
        await doomed.stop()
        await doomed.start()
    for chat_id in chats:
        texts = same(api.texts(chat_id))
        # A reply that reached Telegram just before the kill, but whose "sent" record did not,
        # is sent again (the Bot API has no idempotency key): at most one such repeat per kill.
        collapsed = [t for i, t in enumerate(texts) if i == 0 or texts[i - 1] != t]
        assert collapsed == [t for i, t in enumerate(reference)
                             if i == 0 or reference[i - 1] != t], f"chat {chat_id}"
        assert len(texts) - len(reference) <= 1
    assert {c: n for c, n in (await cluster.demands()).items()} == {
        str(c): 1 for c in [910_000, *chats]}


async def test_a_reply_committed_by_a_process_killed_before_sending_it_still_comes_once(
        cluster: Cluster) -> None:
    """Process 0 commits the turn of a chat's last message and is SIGKILLed while Telegram still
    refuses its send (500s); the chat writes nothing more and process 0 does not come back.
    Process 1 finds the reply left unsent a few seconds later and sends it, once."""
    api, doomed = cluster.api, cluster.processes[0]
    chat_id = 920_000
    api.fail("sendMessage", 500, chat_id=chat_id, times=1000)
    await cluster.hook.post(api.message(chat_id, "xin chào"), first=0)
    # the replies are sent after the commit: a send seen means the turn is committed
    await api.wait_for(lambda: bool(api.calls_to("sendMessage")), 60)
    doomed.kill()
    api.failures.clear()
    await api.wait_for(lambda: len(api.sent(chat_id)) >= 1, 40)
    await asyncio.sleep(SWEEP_EVERY_S + 1)  # a second copy would have come by now
    texts = api.texts(chat_id)
    assert len(texts) == 1 and "chào" in texts[0], texts


async def test_serve_workers_replaces_a_killed_worker_or_fork_server_and_the_dialogue_goes_on(
        tmp_path: Path) -> None:
    """`ketnoi serve --workers 2`: the workers come from a fork server that loaded the bot once;
    one SIGKILLed is replaced by a new one and the chat's next message is answered."""
    if not await _pg_reachable():
        pytest.skip("PostgreSQL not reachable")
    api = FakeTelegram()
    server = BackgroundServer(api.app)
    api_url = await server.start()
    db_url = await create_database(PG_URL)
    bot = ServeProcess(db_url, api_url, free_port(), workers=2, log=tmp_path / "serve.log")
    hook = Webhook([bot.url])
    try:
        await bot.start()  # both workers answer
        await hook.post(api.message(930_000, "xin chào"))
        await api.wait_for(lambda: len(api.sent(930_000)) >= 1, 60)
        await until_recorded_sent(db_url)  # a kill before that would send it again
        victim = bot.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        await bot.wait_ready(60)
        assert len(bot.worker_pids()) == 2 and victim not in bot.worker_pids()
        await hook.post(api.message(930_000, "co hoi thao nao ve che bien nong san khong"))
        await api.wait_for(lambda: len(api.sent(930_000)) >= 2, 60)
        assert "sự kiện" in api.texts(930_000)[1]  # the events answer (none in this database)
        await until_recorded_sent(db_url)
        # The fork server itself dies: its workers stop, new ones come from a new fork server.
        before = bot.worker_pids()
        os.kill(bot.fork_server_pid(), signal.SIGKILL)
        await until(lambda: len(bot.worker_pids()) == 2
                    and not set(bot.worker_pids()) & set(before)
                    and not any(running(pid) for pid in before), 60)
        await bot.wait_ready(60)
        await hook.post(api.message(930_000, "xin chào"))
        await api.wait_for(lambda: len(api.sent(930_000)) >= 3, 60)
    finally:
        await hook.close()
        await bot.stop()
        await api.close()
        await server.stop()
        await drop_database(PG_URL, db_url)


async def until(condition: Callable[[], bool], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.1)


def running(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


async def until_recorded_sent(db_url: str, timeout: float = 30) -> None:
    """Until no reply waits in the outbox (every reply sent is recorded as sent)."""
    db = Database(db_url)
    try:
        async with asyncio.timeout(timeout):
            while True:
                async with db.session() as s:
                    pending = (await s.execute(text(
                        "SELECT count(*) FROM outbox WHERE kind = 'reply' AND status <> 'sent'"
                    ))).scalar_one()
                if not pending:
                    return
                await asyncio.sleep(0.05)
    finally:
        await db.dispose()
