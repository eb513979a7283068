"""Errors of the Zalo channels that are shown to the operator (bilingual, shown as they are)."""

from __future__ import annotations


class ZaloConfigError(Exception):
    """A setting that makes a Zalo channel unusable; the message says which and how to fix it."""


def missing(setting: str, why_vi: str, why_en: str) -> ZaloConfigError:
    return ZaloConfigError(f"Chưa đặt {setting}: {why_vi}\n{setting} is not set: {why_en}")
