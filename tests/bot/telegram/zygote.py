"""Starts `ketnoi run telegram` (or `ketnoi serve`) processes quickly for the kill runs: this process imports the bot
once, then forks a real bot process per "start" line read on stdin (printing its pid) and SIGKILLs
and reaps one per "kill PID" line (printing "dead"). A fork skips seconds of imports per restart;
the forked child is the real bot, killed at a random instant like any other process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys


async def _warm_up(backend: object) -> None:
    """Build the app once (mappers configured, migrations checked), then let it go."""
    from bot.app import App
    from bot.config import get_settings

    app = await App.create(get_settings(), nlu=backend)  # type: ignore[arg-type]
    await app.close()


def main() -> None:
    import bot.app  # noqa: F401  (the imports every start would repeat)
    import bot.cli
    import bot.telegram.runner  # noqa: F401
    from bot.config import get_settings
    from nlu.api import make_backend

    backend = make_backend(get_settings())  # imports the model's libraries (scikit-learn...)
    _ = getattr(backend, "embedded", backend).engine
    asyncio.run(_warm_up(backend))
    get_settings.cache_clear()

    for line in sys.stdin:
        command = line.split()
        if command[:1] == ["start"]:
            pid = os.fork()
            if pid == 0:
                sys.stdin.close()
                # "start" polls Telegram; "start serve PORT" serves the webhooks instead.
                sys.argv = (["ketnoi", "serve", "--no-worker", "--port", command[2]]
                            if command[1:2] == ["serve"]
                            else ["ketnoi", "run", "telegram", "--no-worker"])
                try:
                    bot.cli.main()
                finally:
                    os._exit(0)
            print(pid, flush=True)
        elif command[:1] == ["kill"]:
            pid = int(command[1])
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            print("dead", flush=True)
        elif command[:1] == ["stop"]:
            pid = int(command[1])
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
            print("dead", flush=True)


if __name__ == "__main__":
    main()
