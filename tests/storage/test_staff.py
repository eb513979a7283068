"""Staff roles: add by point code or province, find, list per point, remove (both engines)."""

from __future__ import annotations

import pytest

from storage.db import Database
from storage.errors import NotFound
from storage.repos import staff
from storage.repos.staff import UnknownConnectionPoint


async def test_add_by_code_and_by_province(small_catalog: Database) -> None:
    db = small_catalog
    lan = await staff.add(db, "telegram", "111", point="p-bn", name="Nguyễn Thị Lan")
    assert (lan.point, lan.role, lan.national) == ("P-BN", "staff", False)
    # Bắc Giang merged into Bắc Ninh: typed without diacritics it still finds the point.
    minh = await staff.add(db, "Telegram", " 222 ", point="bac giang")
    assert minh.point == "P-BN" and minh.channel == "telegram" and minh.user_id == "222"
    boss = await staff.add(db, "zalo", "abc", point="P-TW", role="admin")
    assert boss.national and boss.is_admin and boss.sees("P-BN") and not lan.sees("P-TW")


async def test_find_list_remove(small_catalog: Database) -> None:
    db = small_catalog
    await staff.add(db, "telegram", "111", point="P-BN", name="Lan")
    await staff.add(db, "telegram", "333", point="P-TW", name="Hà")
    assert (await staff.find(db, "telegram", "111")).name == "Lan"  # type: ignore[union-attr]
    assert await staff.find(db, "telegram", "999") is None
    assert [m.user_id for m in await staff.list_members(db)] == ["111", "333"]
    assert [m.user_id for m in await staff.list_members(db, "Lạng Sơn")] == ["111"]
    assert await staff.remove(db, "telegram", "111") is True
    assert await staff.remove(db, "telegram", "111") is False
    assert await staff.find(db, "telegram", "111") is None


async def test_adding_again_moves_and_renames(small_catalog: Database) -> None:
    db = small_catalog
    await staff.add(db, "telegram", "111", point="P-BN", name="Lan")
    moved = await staff.add(db, "telegram", "111", point="P-TW", role="admin")
    assert (moved.point, moved.name, moved.role) == ("P-TW", "Lan", "admin")
    assert len(await staff.list_members(db)) == 1


@pytest.mark.parametrize("point", ["DKN-XX", "Paris", "", "Cà Mau"])
async def test_unknown_point_is_a_vietnamese_error(small_catalog: Database, point: str) -> None:
    with pytest.raises(UnknownConnectionPoint) as info:
        await staff.add(small_catalog, "telegram", "111", point=point)
    assert "điểm kết nối" in str(info.value).lower() or "điểm" in str(info.value)
    assert await staff.list_members(small_catalog) == []


async def test_bad_role_or_account_refused(small_catalog: Database) -> None:
    with pytest.raises(Exception, match="Vai trò"):
        await staff.add(small_catalog, "telegram", "111", point="P-BN", role="boss")
    with pytest.raises(Exception, match="Mã người dùng"):
        await staff.add(small_catalog, "telegram", "  ", point="P-BN")


async def _on_call(db: Database, point: str) -> list[str]:
    from storage.repos.staff import on_call, resolve_point

    async with db.session() as s:
        return sorted(m.user_id for m in await on_call(s, await resolve_point(s, point)))


async def test_on_call_chain_on_both_engines(small_catalog: Database) -> None:
    db = small_catalog
    assert await _on_call(db, "P-BN") == []  # nobody anywhere yet
    await staff.add(db, "telegram", "tw-all", point="P-TW")
    await staff.set_duty(db, "telegram", "tw-all", False)
    assert await _on_call(db, "P-BN") == ["tw-all"]  # national, nobody on duty: all of them
    await staff.add(db, "telegram", "tw-fb", point="P-TW", fallback=True)
    await staff.set_duty(db, "telegram", "tw-fb", False)
    assert await _on_call(db, "P-BN") == ["tw-fb"]  # national fallback
    await staff.add(db, "telegram", "bn-fb", point="P-BN", fallback=True)
    await staff.set_duty(db, "telegram", "bn-fb", False)
    assert await _on_call(db, "P-BN") == ["bn-fb"]  # the point's fallback
    await staff.add(db, "telegram", "bn1", point="P-BN")
    assert await _on_call(db, "P-BN") == ["bn1"]  # on duty at the point
    assert await _on_call(db, "P-TW") == ["tw-fb"]
    member = await staff.find(db, "telegram", "bn-fb")
    assert member is not None and member.fallback and not member.on_duty
    with pytest.raises(NotFound):
        await staff.set_duty(db, "telegram", "nobody", True)
