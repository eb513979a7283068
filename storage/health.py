"""Liveness of the stores the bot depends on, for `GET /healthz`."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from storage.db import Database

TIMEOUT_SECONDS = 3.0


async def check_database(db: Database) -> str | None:
    """None when a trivial query answers in time, else why not (no secrets: no URL)."""
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS), db.engine.connect() as conn:
            await conn.execute(text("select 1"))
    except TimeoutError:
        return f"no answer within {TIMEOUT_SECONDS:g} s"
    except Exception as error:
        return type(error).__name__
    return None


async def check_redis(url: str) -> str | None:
    """None when Redis answers PING in time, else why not."""
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS,
                            socket_timeout=TIMEOUT_SECONDS)
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            await client.ping()
    except TimeoutError:
        return f"no answer within {TIMEOUT_SECONDS:g} s"
    except Exception as error:
        return type(error).__name__
    finally:
        await client.aclose()
    return None
