"""The report's files for a chat reply: the dashboard as a photo, the workbook as a document,
each with a signed link when the deployment has a secret key (channels without uploads use it)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from bot.types import Attachment
from handlers.reporting import dashboard, links, workbook
from storage.reports import Figures, Scope


def _render(fig: Figures) -> tuple[bytes, bytes]:
    return dashboard.render(fig), workbook.render(fig)


def _link(settings: Any, request: links.FileRequest, now: datetime) -> str | None:
    secret = getattr(settings, "secret_key", None)
    if not secret:
        return None
    return links.url(settings.base_url, secret, request, ttl=settings.report_link_ttl, now=now)


async def attachments(fig: Figures, scope: Scope, settings: Any,
                      now: datetime) -> tuple[Attachment, Attachment]:
    """Drawn off the event loop: a dashboard takes about a second of CPU."""
    png, xlsx = await asyncio.to_thread(_render, fig)
    photo = links.FileRequest(fig.period, scope, "png")
    sheet = links.FileRequest(fig.period, scope, "xlsx")
    return (Attachment("photo", photo.filename, png, _link(settings, photo, now)),
            Attachment("document", sheet.filename, xlsx, _link(settings, sheet, now)))
