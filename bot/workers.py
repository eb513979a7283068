"""`ketnoi serve --workers N`: N bot processes sharing one port (SO_REUSEPORT), supervised.

The parent migrates the database and trains the NLU model if need be, then starts N worker
processes from a fork server that has imported the bot and loaded the model once
(`bot.worker_preload`): workers share them, and a worker killed is back in about a second, not
after a whole start of its own. Each runs the whole web app (`bot.web.serve`) on
its own socket bound with SO_REUSEPORT, so the kernel spreads connections over them. A worker that dies is started again;
SIGTERM or Ctrl-C stops them all. Across workers, a chat's turns are ordered by the chat locks
of `bot.ordering`, which need PostgreSQL: on SQLite the command refuses to start more than one.
Metrics go through prometheus-client's multiprocess mode, so /metrics of any worker sums all.
With a Telegram or Zalo channel, one more process from the same fork server, the reply sender
(`bot.reply_sender`, named `ketnoi-sender`), sends every chat reply the workers hand it over a
Unix socket in a private directory, so a worker killed never repeats a reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from multiprocessing.process import BaseProcess

from bot.config import Settings
from bot.metrics import MULTIPROC_ENV
from bot.reply_handover import SOCKET_ENV

log = logging.getLogger(__name__)

RESTART_DELAY_S = 0.25  # a crash loop is caught by EARLY_EXIT_S, not by this pause
EARLY_EXIT_S = 10.0  # a worker exiting by itself this soon after its start: a configuration error
STOP_GRACE_S = 30.0
CONFIG_ERROR = 2  # the exit code of a worker refusing its settings (printed): never restarted
# What multiprocessing reports for a worker whose fork server died: the worker is not known to
# have failed (it is told to stop, see follow_the_fork_server), so it is started again.
FORK_SERVER_LOST = 255
PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
SENDER = -1  # the reply sender's slot among the supervised processes


class WorkersRefused(Exception):
    """Several workers asked for on a database that cannot coordinate them."""


def check_workers(settings: Settings, workers: int) -> None:
    if workers < 1:
        raise WorkersRefused("--workers phải từ 1 trở lên / --workers must be at least 1")
    if workers > 1 and not settings.database_url.startswith("postgresql"):
        raise WorkersRefused(
            "Nhiều tiến trình (--workers > 1) cần PostgreSQL (KETNOI_DATABASE_URL=postgresql+"
            "asyncpg://...); với SQLite hãy chạy một tiến trình.\n"
            "Several workers need PostgreSQL: SQLite allows one writer, so run one process on it "
            "(it has its own fast path), or set KETNOI_DATABASE_URL to a PostgreSQL database.")


async def prepare(settings: Settings) -> None:
    """What must happen once, before the workers start: migrations, the NLU model on disk."""
    from nlu.api import make_backend
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    backend = make_backend(settings)
    target = getattr(backend, "embedded", backend)
    if hasattr(target, "engine"):
        await asyncio.to_thread(lambda: target.engine)
    closer = getattr(backend, "aclose", None)
    if closer is not None:
        await closer()


def _worker_main(host: str | None, port: int | None, with_worker: bool) -> None:
    """One worker process: the web app on a SO_REUSEPORT socket, the database already migrated."""
    from bot import worker_preload
    from bot.cli_telegram import _with_worker, configure_logging, run_channel
    from bot.config import get_settings
    from bot.web import serve

    follow_the_fork_server()
    name_process("ketnoi-worker")
    settings = get_settings()
    configure_logging(settings.log_level)

    async def core(settings: Settings) -> object:
        from bot.app import App

        return await App.create(settings, upgrade=False, nlu=worker_preload.nlu)

    try:
        run_channel(_with_worker(serve(settings, host, port, core_factory=core, reuse_port=True),
                          with_worker, webhook=True))
    except SystemExit as done:  # typer.Exit / SystemExit: the message is printed already
        raise SystemExit(done.code) from None
    except Exception as error:
        code = getattr(error, "exit_code", 1)
        raise SystemExit(code) from None


def name_process(name: str) -> None:
    """The name `ps`, `top` and /proc/<pid>/comm show (Linux; 15 characters at most), so the
    reply sender is told apart from the workers."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_NAME, name.encode()[:15])


def follow_the_fork_server() -> None:
    """SIGTERM this worker when its parent, the fork server, dies (Linux): the supervisor can no
    longer see such a worker, so it starts a new one from a new fork server, and the old one must
    finish its update and go rather than serve on beside it unwatched."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the fork server died before the call above
        os.kill(os.getpid(), signal.SIGTERM)


class Supervisor:
    def __init__(self, workers: int, host: str | None, port: int | None,
                 with_worker: bool, sender_socket: str | None = None) -> None:
        self.count = workers
        self.args = (host, port, with_worker)
        self.sender_socket = sender_socket  # the reply sender's, when there is one
        # A fork server started now (after the settings and the metrics directory are in the
        # environment), not the parent: it imports nothing the workers must not share.
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(["bot.worker_preload"])
        self.processes: dict[int, tuple[BaseProcess, float]] = {}  # slot → (process, started)
        self.stopping = False

    def start(self, slot: int) -> None:
        if slot == SENDER:
            from bot.reply_sender_process import main

            process = self.context.Process(target=main, args=(self.sender_socket,),
                                           name="ketnoi-sender", daemon=False)
        else:
            process = self.context.Process(target=_worker_main, args=self.args,
                                           name=f"ketnoi-worker-{slot}", daemon=False)
        process.start()
        self.processes[slot] = (process, time.monotonic())
        log.info("%s started (pid %s)", process.name, process.pid)

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        if self.sender_socket is not None:  # first: the workers' first replies need it
            self.start(SENDER)
        for slot in range(self.count):
            self.start(slot)
        while not self.stopping:
            time.sleep(0.2)
            code = self._watch()
            if code is not None:
                self._terminate()
                return code
        self._terminate()
        return 0

    def _watch(self) -> int | None:
        """Restart workers that died; a non-zero code when one cannot start at all."""
        from prometheus_client import multiprocess

        for slot, (process, started) in list(self.processes.items()):
            if process.is_alive() or self.stopping:
                continue
            code = process.exitcode or 0
            if process.pid is not None and os.environ.get(MULTIPROC_ENV):
                multiprocess.mark_process_dead(process.pid)
            early = time.monotonic() - started < EARLY_EXIT_S
            if code == CONFIG_ERROR or (code > 0 and code != FORK_SERVER_LOST and early):
                log.error("%s could not start (exit code %d): stopping", process.name, code)
                return code
            log.warning("%s (pid %s) ended with code %s: starting it again", process.name,
                        process.pid, code)
            time.sleep(RESTART_DELAY_S)
            self.start(slot)
        return None

    def _stop(self, _signum: int, _frame: object) -> None:
        self.stopping = True

    def _terminate(self) -> None:
        """Workers first (they finish their updates, whose replies the sender still sends),
        then the reply sender."""
        workers = [p for slot, (p, _) in self.processes.items() if slot != SENDER]
        sender = [p for slot, (p, _) in self.processes.items() if slot == SENDER]
        for group in (workers, sender):
            for process in group:
                if process.is_alive() and process.pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE_S
            for process in group:
                process.join(max(0.0, deadline - time.monotonic()))
                if process.is_alive():
                    process.kill()
                    process.join(5)


def serve_workers(settings: Settings, workers: int, host: str | None, port: int | None,
                  with_worker: bool) -> int:
    """Run `workers` worker processes until SIGTERM/SIGINT; returns the exit code."""
    from bot.cli_telegram import run_async
    from bot.web import check_settings

    check_workers(settings, workers)
    check_settings(settings)
    run_async(prepare(settings))
    own_dir = None
    if not os.environ.get(MULTIPROC_ENV):
        own_dir = tempfile.mkdtemp(prefix="ketnoi-metrics-")
        os.environ[MULTIPROC_ENV] = own_dir
    # Before the fork server starts: the workers inherit where the reply sender listens.
    sends = settings.telegram_token or settings.zalo_bot_token or settings.zalo_oa_app_id
    sender_dir = tempfile.mkdtemp(prefix="ketnoi-sender-") if sends else None
    sender_socket = os.path.join(sender_dir, "replies.sock") if sender_dir else None
    if sender_socket is not None:
        os.environ[SOCKET_ENV] = sender_socket
    try:
        return Supervisor(workers, host, port, with_worker, sender_socket).run()
    finally:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)
            os.environ.pop(MULTIPROC_ENV, None)
        if sender_dir is not None:
            shutil.rmtree(sender_dir, ignore_errors=True)
            os.environ.pop(SOCKET_ENV, None)
