"""Long polling that goes on whatever one update looks like.

PTB's own updater confirms updates by adding one to the last update's id: an update whose id is
not a number stops its loop for good, and one PTB cannot build makes it fetch the same batch again
forever, in both cases without a word to the user. Here every raw update of a batch is checked on
its own (`inbound.read_update`): those that fit go to the application's update queue, the others
are logged with their id and skipped, and the offset moves past every numeric id seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.warnings import PTBUserWarning

from bot.telegram.inbound import MAX_UPDATE_ID, log_skipped, read_update, update_id_of

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0  # seconds between attempts while Telegram keeps failing
# getUpdates goes through `do_api_request` on purpose: it returns the raw JSON, one update at a
# time can then be checked, and PTB's hint to use `get_updates` does not apply.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning
)


class Poller:
    """getUpdates in a loop until `stop()`; `on_skip` counts the updates that did not fit."""

    def __init__(
        self,
        application: Any,
        *,
        timeout: int,
        allowed_updates: Sequence[str],
        on_error: Callable[[TelegramError], None],
        on_skip: Callable[[], None] = lambda: None,
    ) -> None:
        self.application = application
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self.on_error = on_error
        self.on_skip = on_skip
        self.offset = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Remove any webhook (Telegram refuses getUpdates while one is set), then poll."""
        await self.application.bot.delete_webhook()
        self._stop.clear()
        self._task = asyncio.create_task(self._loop(), name="telegram-polling")

    async def stop(self) -> None:
        """Stop polling and confirm the updates already queued, so they are not sent again."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(TelegramError):
            await self._fetch(timeout=0)

    async def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                batch = await self._fetch(self.timeout)
            except InvalidToken:
                log.error("Telegram no longer accepts the token: polling stops")
                return
            except RetryAfter as error:
                self.on_error(error)
                await self._pause(_seconds(error.retry_after))
                continue
            except TelegramError as error:  # network trouble, 5xx, a conflict: try again
                self.on_error(error)
                failures += 1
                await self._pause(min(MAX_BACKOFF, 0.5 * 2 ** min(failures, 6)))
                continue
            failures = 0
            await self._accept(batch)

    async def _fetch(self, timeout: int) -> object:
        return await self.application.bot.do_api_request(
            "getUpdates",
            api_kwargs={
                "offset": self.offset,
                "timeout": timeout,
                "allowed_updates": self.allowed_updates,
            },
            read_timeout=timeout + 10,
        )

    async def _accept(self, batch: object) -> None:
        if not isinstance(batch, list):
            log.warning("telegram polling: getUpdates answered %.200r, not a list", batch)
            return
        ids = [i for i in map(_as_update_id, batch) if i is not None]
        if ids:
            self.offset = max(self.offset, max(ids) + 1)
        for data in batch:
            reading = read_update(data, self.application.bot)
            if reading.update is None:
                log_skipped(reading, "polling")
                self.on_skip()
                continue
            await self.application.update_queue.put(reading.update)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)


def _as_update_id(data: object) -> int | None:
    value = update_id_of(data)
    if type(value) is int and 0 <= value <= MAX_UPDATE_ID:
        return value
    return None


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
