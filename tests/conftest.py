"""Shared test setup: keep every test offline and away from the developer's own var/ data."""

from __future__ import annotations

import os

# Tests never talk to real chat APIs; adapters get local fake servers explicitly.
os.environ.pop("KETNOI_TELEGRAM_TOKEN", None)
