"""A page of a list: the rows, the total and the page numbers around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    number: int  # 1-based
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


MAX_ID = 2**31 - 1  # INTEGER primary keys; a larger id in a URL cannot name a row


def valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def page_number(value: Any) -> int:
    try:
        return max(1, min(int(value), 1_000_000))
    except (TypeError, ValueError):
        return 1


async def count(s: AsyncSession, stmt: Any) -> int:
    total = await s.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return int(total.scalar_one())


def window(stmt: Any, number: int, per_page: int = PER_PAGE) -> Any:
    return stmt.limit(per_page).offset((number - 1) * per_page)
