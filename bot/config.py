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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
