"""Settings from environment variables prefixed KETNOI_ (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.convert import LOCAL_TZ


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KETNOI_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/ketnoi.db"
    redis_url: str | None = None  # checked by /healthz when set
    nlu_backend: str = "embedded"  # "embedded" | "rasa"
    nlu_model_dir: Path = Path("var/nlu-model")
    nlu_threshold: float | None = None  # overrides the fallback threshold chosen at training
    nlu_ambiguity_threshold: float | None = None  # same for the top-2 margin
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout: float = 3.0
    log_level: str = "INFO"
    telegram_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_webhook_secret: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    timezone: str = LOCAL_TZ.key  # replies show local times in this zone
    # Web console (/admin): signs its session cookie; /admin is not served without it.
    secret_key: str | None = None
    public_url: str | None = None  # where staff reach `ketnoi serve`, e.g. https://ketnoi.example.vn
    admin_cookie_secure: bool = True  # False only for plain-http localhost
    admin_session_hours: float = 8.0

    def console_login_url(self, token: str) -> str:
        """The one-time sign-in link to the web console (`/web` in chat, `ketnoi staff
        login-link`); without KETNOI_PUBLIC_URL it points at this machine's `ketnoi serve`."""
        base = (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
        return f"{base}/admin/login?token={token}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
