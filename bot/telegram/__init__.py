"""Telegram channel (python-telegram-bot 22): a thin adapter around the dialogue core."""

from bot.telegram.channel import APOLOGY, COMMANDS, Core, TelegramChannel
from bot.telegram.sender import ReliableSender, RetryPolicy, SendStatus
from bot.telegram.setup import TelegramConfigError, check_secret, check_token

__all__ = [
    "APOLOGY",
    "COMMANDS",
    "Core",
    "ReliableSender",
    "RetryPolicy",
    "SendStatus",
    "TelegramChannel",
    "TelegramConfigError",
    "check_secret",
    "check_token",
]
