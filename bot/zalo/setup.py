"""Settings checks and the factories that build the Zalo channels from `KETNOI_*` settings."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.reply_handover import ReplyHandover
from bot.types import ChannelSender
from bot.zalo.bot_platform import Core, ZaloBotChannel, ZaloBotSender
from bot.zalo.client import ZaloBotClient, ZaloBotError
from bot.zalo.convert import BOT_CHANNEL, OA_CHANNEL
from bot.zalo.delivery import RetryPolicy
from bot.zalo.errors import ZaloConfigError, missing
from bot.zalo.oa import PROMOTION, ZaloOAChannel, ZaloOAClient, ZaloOASender
from bot.zalo.reply_transport import ZaloPartSender
from bot.zalo.tokens import TokenCipher, TokenKeeper, ZaloOAuth
from storage.db import Database
from storage.repos import followers, outbox

BOT_TOKEN_RE = re.compile(r"^[A-Za-z0-9_:-]{5,200}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{8,256}$")


def check_bot_token(token: str | None) -> str:
    if not token:
        raise missing("KETNOI_ZALO_BOT_TOKEN",
                      "hãy tạo bot trên Zalo Bot Platform và đặt token vào biến này.",
                      "create a bot on the Zalo Bot Platform and put its token here.")
    token = token.strip()
    if not BOT_TOKEN_RE.match(token):
        raise ZaloConfigError(
            "KETNOI_ZALO_BOT_TOKEN không đúng định dạng (dạng đúng: 12345689:abc-xyz).\n"
            "KETNOI_ZALO_BOT_TOKEN is malformed (expected 12345689:abc-xyz).")
    return token


def check_bot_secret(secret: str | None) -> str:
    if not secret:
        raise missing("KETNOI_ZALO_BOT_WEBHOOK_SECRET",
                      "webhook Zalo Bot không được mở khi thiếu mã bí mật.",
                      "the Zalo bot webhook is not opened without a secret.")
    if not SECRET_RE.match(secret):
        raise ZaloConfigError(
            "KETNOI_ZALO_BOT_WEBHOOK_SECRET phải gồm 8-256 ký tự A-Z, a-z, 0-9, _ và -.\n"
            "KETNOI_ZALO_BOT_WEBHOOK_SECRET must be 8-256 characters of A-Z, a-z, 0-9, _ and -.")
    return secret


def bot_error(api_url: str, error: ZaloBotError) -> ZaloConfigError:
    if error.code == 401:
        return ZaloConfigError(
            f"Zalo Bot Platform ({api_url}) từ chối token: hãy kiểm tra KETNOI_ZALO_BOT_TOKEN.\n"
            f"The Zalo Bot Platform ({api_url}) rejected the token: check KETNOI_ZALO_BOT_TOKEN.")
    if error.code == 0:
        return ZaloConfigError(f"Không kết nối được tới {api_url}.\nCould not reach {api_url}.")
    return ZaloConfigError(f"Zalo Bot Platform: {error}")


def policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(base_delay=settings.zalo_retry_delay,
                       max_delay=settings.zalo_retry_max_delay)


def bot_client(settings: Settings) -> ZaloBotClient:
    token = check_bot_token(settings.zalo_bot_token)
    return ZaloBotClient(token, settings.zalo_bot_api_url, settings.zalo_http_timeout)


def bot_sender(settings: Settings) -> ChannelSender:
    """The Zalo bot's sender for the outbox (broadcasts, staff alerts); under `serve --workers`
    chat replies it sends again go through the reply sender process."""
    sender = ZaloBotSender(bot_client(settings))
    sender.handover = ReplyHandover.from_environment()
    return sender


def bot_channel(settings: Settings, core: Core) -> ZaloBotChannel:
    return ZaloBotChannel(core, bot_client(settings), policy=policy(settings),
                          typing_after=settings.zalo_typing_after,
                          handover=ReplyHandover.from_environment())


def check_oa(settings: Settings) -> tuple[str, str]:
    """The app id and OA secret key the webhook needs, and the settings sending needs."""
    app_id, key = settings.zalo_oa_app_id, settings.zalo_oa_secret_key
    if not app_id:
        raise missing("KETNOI_ZALO_OA_APP_ID", "ID ứng dụng Zalo gắn với OA.",
                      "the id of the Zalo app linked to the OA.")
    if not key:
        raise missing("KETNOI_ZALO_OA_SECRET_KEY", "khóa bí mật OA ở trang Webhook của ứng dụng.",
                      "the OA Secret Key shown on the app's Webhook page.")
    if not settings.zalo_app_secret:
        raise missing("KETNOI_ZALO_APP_SECRET", "khóa bí mật của ứng dụng (làm mới token).",
                      "the app secret (used to refresh tokens).")
    TokenCipher(settings.zalo_token_key)  # raises with a hint to make a key
    return app_id, key


def token_keeper(settings: Settings, db: Database) -> TokenKeeper:
    if not settings.zalo_oa_app_id:
        raise missing("KETNOI_ZALO_OA_APP_ID", "ID ứng dụng Zalo gắn với OA.",
                      "the id of the Zalo app linked to the OA.")
    if not settings.zalo_app_secret:
        raise missing("KETNOI_ZALO_APP_SECRET", "khóa bí mật của ứng dụng Zalo.",
                      "the Zalo app secret.")
    oauth = ZaloOAuth(settings.zalo_oauth_url, settings.zalo_oa_app_id, settings.zalo_app_secret,
                      settings.zalo_http_timeout)
    return TokenKeeper(db, oauth, TokenCipher(settings.zalo_token_key),
                       margin=settings.zalo_token_refresh_margin)


class StoredFollowers:
    """Followers recorded in the database (`storage.repos.followers`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def follow(self, user_id: str, name: str | None) -> None:
        await followers.follow(self.db, OA_CHANNEL, user_id, name)


def oa_sender(settings: Settings, db: Database) -> ZaloOASender:
    client = ZaloOAClient(settings.zalo_oa_api_url, settings.zalo_http_timeout)
    return ZaloOASender(client, token_keeper(settings, db), settings.zalo_oa_buttons,
                        backoff=settings.zalo_retry_delay)


def oa_outbox_sender(settings: Settings, db: Database) -> ChannelSender:
    """The OA's sender for the outbox (its token pair shared with the webhook's processes);
    with KETNOI_ZALO_OA_PROMOTION, followers outside the window get promotions."""
    sender = oa_sender(settings, db)
    if settings.zalo_oa_promotion:
        sender.promotions = OutboxPromotions(db)
    sender.handover = ReplyHandover.from_environment()
    return sender


class OutboxPromotions:
    """Promotions sent, as the outbox recorded them (rows sent with the reason "promotion"),
    and this process's own whose outcome may not be committed yet."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._recent: dict[str, datetime] = {}

    async def sent_since(self, user_id: str, since: datetime) -> bool:
        recent = self._recent.get(user_id)
        if recent is not None and recent >= since:
            return True
        return await outbox.sent_with_reason_since(self.db, OA_CHANNEL, user_id, PROMOTION,
                                                   since)

    def note(self, user_id: str, at: datetime) -> None:
        if len(self._recent) > 100_000:  # a day's worth is all that matters
            self._recent.clear()
        self._recent[user_id] = at


def oa_channel(settings: Settings, core: Any) -> ZaloOAChannel:
    db: Database = core.services.db
    return ZaloOAChannel(core, oa_sender(settings, db), StoredFollowers(db),
                         policy=policy(settings), handover=ReplyHandover.from_environment())


def reply_part_senders(settings: Settings, db: Database) -> dict[str, ZaloPartSender]:
    """The reply sender process's Zalo transports (`bot.reply_sender_process`): the channels'
    own senders, never handing over (this process is where replies go)."""
    senders: dict[str, ZaloPartSender] = {}
    if settings.zalo_bot_token:
        client = bot_client(settings)
        senders[BOT_CHANNEL] = ZaloPartSender(BOT_CHANNEL, ZaloBotSender(client),
                                              policy(settings), close=client.aclose)
    if settings.zalo_oa_app_id:
        oa = oa_sender(settings, db)

        async def close() -> None:
            await oa.client.aclose()
            await oa.tokens.oauth.aclose()

        senders[OA_CHANNEL] = ZaloPartSender(OA_CHANNEL, oa, policy(settings), close=close)
    return senders
