"""Settings checks and the PTB `Application` factory (one place knows how PTB is wired)."""

from __future__ import annotations

import re
from typing import Any

from telegram.ext import Application, ApplicationBuilder, BaseUpdateProcessor

TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
# Connections to the Bot API for sending. httpcore scans every pooled connection (a readability
# check each) on every request: with PTB's 256, that scan was a tenth of the CPU per message under
# 200 chats. 32 requests in flight still exceed what Telegram lets a bot send per second.
SEND_CONNECTIONS = 32
SEND_QUEUE_SECONDS = 30.0  # a send waits this long for a free connection (PTB's default: 1 s)
# A send that times out after its request left may have reached the chat: it is retried (at least
# once), so it must not time out because a process was briefly busy (PTB's default: 5 s).
SEND_ANSWER_SECONDS = 20.0


class TelegramConfigError(Exception):
    """A setting that makes Telegram unusable; the message is bilingual and shown as is."""


def check_token(token: str | None) -> str:
    if not token:
        raise TelegramConfigError(
            "Chưa đặt KETNOI_TELEGRAM_TOKEN: hãy tạo bot với @BotFather và đặt token vào biến môi "
            "trường này.\nKETNOI_TELEGRAM_TOKEN is not set: create a bot with @BotFather and put "
            "its token in this variable."
        )
    token = token.strip()
    if not TOKEN_RE.match(token):
        raise TelegramConfigError(
            "KETNOI_TELEGRAM_TOKEN không đúng định dạng (dạng đúng: 123456789:ABC-def_GHI...).\n"
            "KETNOI_TELEGRAM_TOKEN is malformed (expected 123456789:ABC-def_GHI...)."
        )
    return token


def check_secret(secret: str | None) -> str:
    if not secret:
        raise TelegramConfigError(
            "Chưa đặt KETNOI_TELEGRAM_WEBHOOK_SECRET: webhook không được mở khi thiếu mã bí mật.\n"
            "KETNOI_TELEGRAM_WEBHOOK_SECRET is not set: the webhook is not opened without a secret."
        )
    if not SECRET_RE.match(secret):
        raise TelegramConfigError(
            "KETNOI_TELEGRAM_WEBHOOK_SECRET chỉ được gồm 1-256 ký tự A-Z, a-z, 0-9, _ và -.\n"
            "KETNOI_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -."
        )
    return secret


def invalid_token_error(api_url: str) -> TelegramConfigError:
    return TelegramConfigError(
        f"Telegram ({api_url}) từ chối token: hãy kiểm tra lại KETNOI_TELEGRAM_TOKEN với @BotFather.\n"
        f"Telegram ({api_url}) rejected the token: check KETNOI_TELEGRAM_TOKEN with @BotFather."
    )


def unreachable_error(api_url: str, error: Exception) -> TelegramConfigError:
    return TelegramConfigError(
        f"Không kết nối được tới Telegram Bot API tại {api_url} ({error}).\n"
        f"Could not reach the Telegram Bot API at {api_url} ({error})."
    )


def build_application(
    token: str, api_url: str, processor: BaseUpdateProcessor | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """A PTB Application pointed at `api_url` (api.telegram.org, a self-hosted server, a fake)."""
    api = api_url.rstrip("/")
    builder = (
        ApplicationBuilder().token(token).base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
    )
    if processor is not None:
        builder = builder.concurrent_updates(processor)
    builder = builder.connection_pool_size(SEND_CONNECTIONS).pool_timeout(SEND_QUEUE_SECONDS)
    builder = builder.read_timeout(SEND_ANSWER_SECONDS)
    # No PTB updater: `bot.telegram.polling.Poller` polls, and the webhook feeds the queue itself.
    return builder.updater(None).build()
