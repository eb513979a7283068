"""`GET /reports/<token>/<file name>` on `ketnoi serve`: a report file behind a signed link.

The link (handlers.reporting.links) says which period, scope and file, and expires after
KETNOI_REPORT_LINK_TTL seconds; the file is drawn at download time from the current figures.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.config import Settings
from handlers.reporting import dashboard, links, workbook
from storage import reports
from storage.db import Database
from storage.errors import StorageError

log = logging.getLogger(__name__)

EXPIRED = "Liên kết báo cáo đã hết hạn. Anh/chị gõ /baocao trong chat để nhận liên kết mới ạ."
INVALID = "Liên kết báo cáo không hợp lệ."


def report_routes(settings: Settings, db: Database) -> list[BaseRoute]:
    """The download route, when KETNOI_SECRET_KEY is set (no key: no route, no links)."""
    secret = settings.secret_key
    if not secret:
        return []

    async def download(request: Request) -> Response:
        try:
            wanted = links.verify(secret, request.path_params["token"])
        except links.LinkExpired:
            return PlainTextResponse(EXPIRED, status_code=410)
        except links.LinkInvalid:
            return PlainTextResponse(INVALID, status_code=404)
        try:
            fig = await reports.figures(db, wanted.period, wanted.scope)
        except StorageError as exc:  # e.g. a point removed since the link was made
            return PlainTextResponse(str(exc), status_code=404)
        draw = dashboard.render if wanted.file == "png" else workbook.render
        data = await asyncio.to_thread(draw, fig)
        how = "inline" if wanted.file == "png" else "attachment"
        return Response(data, media_type=links.FILES[wanted.file], headers={
            "Content-Disposition": f'{how}; filename="{wanted.filename}"',
            "Cache-Control": "private, no-store"})

    return [Route("/reports/{token}/{filename}", download, methods=["GET"])]
