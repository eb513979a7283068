"""Settings from environment variables prefixed KETNOI_ (and an optional .env file).

Files live in one absolute place whatever the current folder: `var/` of the source checkout
(where `make chat` runs), or the user's data folder for an installed package
(~/.local/share/ketnoi on Linux). A relative folder would make `ketnoi demands list`, run from
another folder, silently create an empty database and report no demands.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.convert import LOCAL_TZ
from storage.db import PG_POOL_SIZE

PROJECT_DIR = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """Where ketnoi keeps its database and NLU model unless told otherwise."""
    if (PROJECT_DIR / "pyproject.toml").is_file() and (PROJECT_DIR / "bot").is_dir():
        return PROJECT_DIR / "var"
    return Path(platformdirs.user_data_dir("ketnoi", appauthor=False))


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{data_dir() / 'ketnoi.db'}"


class Settings(BaseSettings):
    # The project's .env wherever ketnoi is started from; one in the current folder wins.
    model_config = SettingsConfigDict(
        env_prefix="KETNOI_", env_file=(PROJECT_DIR / ".env", ".env"), extra="ignore"
    )

    database_url: str = Field(default_factory=default_database_url)
    # PostgreSQL connections kept per process; its turns run at most that many, less the
    # connections kept for other work, at a time (more wait their turn: `bot.ordering`).
    db_pool_size: int = Field(default=PG_POOL_SIZE, ge=4)
    redis_url: str | None = None  # checked by /healthz when set; per-chat locks across processes
    redis_prefix: str = "ketnoi"  # of the Redis keys (several bots may share one Redis)
    nlu_backend: str = "embedded"  # "embedded" | "rasa"
    nlu_model_dir: Path = Field(default_factory=lambda: data_dir() / "nlu-model")
    nlu_threshold: float | None = None  # overrides the fallback threshold chosen at training
    nlu_ambiguity_threshold: float | None = None  # same for the top-2 margin
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout: float = 3.0
    log_level: str = "INFO"
    telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_secret: str | None = None
    # Zalo Bot Platform (bot/zalo/bot_platform.py)
    zalo_bot_token: str | None = None
    zalo_bot_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_bot_webhook_secret: str | None = None
    zalo_bot_poll_timeout: int = 30  # seconds getUpdates waits for an update
    # Zalo Official Account (bot/zalo/oa.py, bot/zalo/tokens.py)
    zalo_oa_app_id: str | None = None
    zalo_oa_secret_key: str | None = None  # the OA Secret Key of the Webhook page: signatures
    zalo_oa_api_url: str = "https://openapi.zalo.me"
    zalo_oa_buttons: Literal["template", "text"] = "template"
    # News to followers outside the consultation window goes as a promotion message instead
    # (06:00-21:59 Vietnam time, at most one per follower per day).
    zalo_oa_promotion: bool = False
    zalo_oa_redirect_uri: str | None = None  # the callback URL registered for OAuth consent
    zalo_oauth_url: str = "https://oauth.zaloapp.com"
    zalo_app_secret: str | None = None  # the app's secret: header secret_key of OAuth calls
    zalo_token_key: str | None = None  # Fernet key encrypting the OA token pair at rest
    zalo_token_refresh_margin: float = 3600.0  # refresh the access token this long before expiry
    # Both Zalo channels: HTTP timeout and the backoff after a failed call (short in tests).
    zalo_http_timeout: float = 10.0
    zalo_retry_delay: float = 1.0
    zalo_retry_max_delay: float = 30.0
    zalo_typing_after: float = 1.0  # show "typing" when a reply takes longer than this
    # Group chats: "ignore" (default) or "mention" (answer only when addressed: @bot, a command,
    # a reply to the bot, a press on its buttons).
    group_chats: Literal["ignore", "mention"] = "ignore"
    host: str = "127.0.0.1"
    port: int = 8080
    timezone: str = LOCAL_TZ.key  # replies show local times in this zone
    # Signs short-lived links to report files and the web console's session cookie (/admin is
    # not served without it).
    secret_key: str | None = None
    public_url: str | None = None  # where staff reach `ketnoi serve`; default http://HOST:PORT
    report_link_ttl: int = 3600  # seconds a signed report link stays valid
    admin_cookie_secure: bool = True  # False only for plain-http localhost
    admin_session_hours: float = 8.0

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def console_login_url(self, token: str) -> str:
        """The one-time sign-in link to the web console (`/web` in chat, `ketnoi staff
        login-link`); without KETNOI_PUBLIC_URL it points at this machine's `ketnoi serve`."""
        return f"{self.base_url}/admin/login?token={token}"
    # The outbox sender (bot.worker): pacing per bot token, leases, scheduled jobs.
    telegram_broadcast_rate: float = 25.0  # messages per second, all chats together
    telegram_chat_rate: float = 1.0  # messages per second to one chat
    outbox_batch: int = 50  # rows claimed at a time
    outbox_lanes: int = 8  # messages in flight at once per bot token (to different chats)
    outbox_lease_seconds: float = 60.0  # a dead sender's claimed rows are resent after this
    sender_lease_seconds: float = 10.0  # a standby sender takes over after this
    outbox_max_attempts: int = 8
    jobs_interval: float = 60.0  # seconds between runs of reminders, digests and news
    digest_weekday: int = 0  # 0 = Monday ... 6 = Sunday (local time)
    digest_hour: int = 8  # local hour of the weekly digest
    # Message log lines (and handled inbox updates, finished replies) older than this are purged
    # by the scheduled jobs: they hold what people typed.
    message_log_days: int = 365
    # A request to talk to staff nobody has taken after this many seconds (in working hours):
    # the user is told when someone will answer.
    handoff_wait: float = 600.0


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

