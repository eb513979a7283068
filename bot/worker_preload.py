"""Imported once by the fork server of `ketnoi serve --workers N` (`bot.workers`), before it forks
the workers: the bot's modules and the embedded NLU model (read-only once loaded), so every worker
shares them and a restarted worker skips its own imports and model load. A failure here only
means each worker loads its own (the fork server ignores a preload that fails)."""

from __future__ import annotations

import logging
from typing import Any

import bot.app  # noqa: F401
import bot.cli_telegram  # noqa: F401
import bot.telegram  # noqa: F401
import bot.web  # noqa: F401
from bot.config import get_settings
from handlers import routers
from nlu.api import EmbeddedBackend, make_backend

log = logging.getLogger(__name__)


def _load() -> Any:
    backend = make_backend(get_settings())
    if not isinstance(backend, EmbeddedBackend):  # Rasa: a client per worker's event loop
        return None
    backend.engine  # noqa: B018 (loads the model; trained by the parent already)
    return backend


routers()  # imports every handler module (the reports bring in matplotlib: a second of its own)
nlu: Any = None
try:
    nlu = _load()
except Exception:  # each worker then loads its own, and reports what fails
    log.exception("could not preload the NLU model for the workers")
