"""Regex entities: phone, email, tax code (run on the plain view; offsets map back via Normalized)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PHONE_RE = re.compile(r"(?<![\d+\w])(?:\+84|84|0)(?:[\s.\-]?\d){8,10}(?![\d\w])")
_MOBILE_RE = re.compile(r"0[35789]\d{8}")
_LANDLINE_RE = re.compile(r"02\d{9}")
_TAX_RE = re.compile(r"(?<![\d\w])\d{10}(?:-\d{3})?(?![\d\w]|-\d)")
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w])")
# Words that announce a tax code: "MST", "mã số thuế", "mã số doanh nghiệp".
_TAX_CUE_RE = re.compile(r"(?:\bmst|ma so thue|ma so doanh nghiep|masothue|tax)\W*(?:la\W*)?$")


@dataclass(frozen=True, slots=True)
class Found:
    entity: str
    start: int
    end: int
    value: str


def phone_digits(raw: str) -> str | None:
    """'+84 912.345.678' → '0912345678'; None unless a valid VN mobile or landline."""
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+84") or (digits.startswith("84") and len(digits) in (11, 12)):
        digits = "0" + digits[2:]
    if _MOBILE_RE.fullmatch(digits) or _LANDLINE_RE.fullmatch(digits):
        return digits
    return None


def find_patterns(plain_text: str) -> list[Found]:
    found: list[Found] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return not any(s < te and ts < e for ts, te in taken)

    for m in _EMAIL_RE.finditer(plain_text):
        found.append(Found("email", m.start(), m.end(), m.group(0)))
        taken.append((m.start(), m.end()))
    for m in _TAX_RE.finditer(plain_text):
        before = plain_text[max(0, m.start() - 30) : m.start()]
        is_phone = phone_digits(m.group(0)) is not None and "-" not in m.group(0)
        if free(m.start(), m.end()) and (_TAX_CUE_RE.search(before) or not is_phone):
            found.append(Found("tax_code", m.start(), m.end(), m.group(0)))
            taken.append((m.start(), m.end()))
    for m in _PHONE_RE.finditer(plain_text):
        digits = phone_digits(m.group(0))
        if digits and free(m.start(), m.end()):
            found.append(Found("phone", m.start(), m.end(), digits))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)
