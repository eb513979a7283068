"""CLI commands of one feature; `register` adds them to the `ketnoi` app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this feature's commands to `app`."""
