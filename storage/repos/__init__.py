"""Repositories: plain async functions taking an `AsyncSession` (see `storage/__init__.py`)."""
