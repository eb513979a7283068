"""The fake Bot API's wire format: decoding requests and building Telegram's answers.

Requests come form-urlencoded, as JSON or as multipart/form-data (files); answers use the
`{"ok": ...}` envelope, errors with Telegram's descriptions and, for 429, `retry_after`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse

JSON_PARAMS = {"reply_markup", "allowed_updates", "commands", "entities", "link_preview_options"}
ERRORS = {
    400: "Bad Request: can't parse reply keyboard markup JSON object",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class Failure:
    """An error answer to inject: `times` calls of `method` (to `chat_id`, or any) get it."""

    method: str
    status: int
    retry_after: int | None = None
    chat_id: str | None = None
    times: int = 1


@dataclass(frozen=True)
class Upload:
    """A file sent with multipart/form-data (sendPhoto, sendDocument)."""

    filename: str
    data: bytes
    content_type: str


def printable(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters for JSON output: an uploaded file as its name and size."""
    return {k: f"<{v.filename}, {len(v.data)} bytes>" if isinstance(v, Upload) else v
            for k, v in params.items()}


async def params_of(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return params | await _multipart(request)
    raw = await request.body()
    if not raw:
        return params
    if request.headers.get("content-type", "").startswith("application/json"):
        params.update(json.loads(raw))
        return params
    for key, value in parse_qsl(raw.decode("utf-8"), keep_blank_values=True):
        params[key] = json.loads(value) if key in JSON_PARAMS else value
    return params


async def _multipart(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    form = await request.form()
    for key, value in form.multi_items():
        if isinstance(value, str):
            params[key] = json.loads(value) if key in JSON_PARAMS else value
        else:
            params[key] = Upload(value.filename or "", await value.read(),
                                 value.content_type or "")
    # PTB sends the file as an attach://name field, referenced by the parameter.
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.pop(value.removeprefix("attach://"), value)
    return params


def ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def error(status: int, description: str, **parameters: Any) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


def failure_response(failure: Failure) -> JSONResponse:
    text = ERRORS.get(failure.status, "Error").format(retry_after=failure.retry_after)
    if failure.retry_after is not None:
        return error(failure.status, text, retry_after=failure.retry_after)
    return error(failure.status, text)
