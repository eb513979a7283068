"""A web console on SQLite and PostgreSQL with three points, their staff and a demand each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from bot.admin import create_admin_app
from bot.web import create_web_app
from storage.db import Database
from storage.models import ConnectionPoint, Demand, User
from storage.repos import staff, web_logins
from tests.storage.conftest import db, empty_db  # noqa: F401  (fixtures on both engines)

SECRET = "test-secret-key-for-the-console"
BASE = "http://ketnoi.test"


@dataclass
class Console:
    db: Database
    web: httpx.AsyncClient
    demands: dict[str, int]  # point code -> its demand id

    async def sign_in(self, channel: str = "telegram", user_id: str = "100") -> httpx.Response:
        _, token = await web_logins.issue(self.db, channel, user_id)
        shown = await self.web.get(f"/admin/login?token={token}")
        assert shown.status_code == 200 and 'name="token"' in shown.text
        return await self.web.post("/admin/login", data={"token": token})

    async def csrf(self, path: str = "/admin/demands") -> str:
        page = await self.web.get(path)
        marker = 'name="csrf" value="'
        assert marker in page.text, page.text[:500]
        return page.text.split(marker, 1)[1].split('"', 1)[0]


async def populate(database: Database) -> dict[str, int]:
    async with database.transaction() as s:
        points = {code: ConnectionPoint(code=code, name=name, provinces=provinces)
                  for code, name, provinces in (
                      ("DKN-BN", "Điểm kết nối Bắc Ninh", ["bac_ninh"]),
                      ("DKN-HN", "Điểm kết nối Hà Nội", ["ha_noi"]),
                      ("DKN-TW", "Điểm kết nối quốc gia", ["*"]))}
        s.add_all(points.values())
        await s.flush()
        ids = {}
        for n, (code, province) in enumerate((("DKN-BN", "bac_ninh"), ("DKN-HN", "ha_noi"))):
            user = User(channel="telegram", external_id=f"u{n}", display_name=f"Doanh nghiệp {n}",
                        province=province, organisation=f"Công ty {code}")
            s.add(user)
            await s.flush()
            demand = Demand(user_id=user.id, type="find_technology",
                            raw_text=f"cần máy sấy vải ở {province}", sector="agri_processing",
                            province=province, connection_point_id=points[code].id,
                            details={"need": f"Máy sấy vải thiều cho {code}"})
            s.add(demand)
            await s.flush()
            ids[code] = demand.id
    await staff.add(database, "telegram", "100", point="DKN-BN", name="Cán bộ Bắc Ninh")
    await staff.add(database, "telegram", "200", point="DKN-TW", name="Cán bộ quốc gia")
    return ids


@pytest.fixture
async def console(db: Database) -> AsyncIterator[Console]:  # noqa: F811
    ids = await populate(db)
    admin = create_admin_app(db, SECRET, secure_cookie=False)
    transport = httpx.ASGITransport(app=create_web_app([], admin=admin))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as web:
        yield Console(db, web, ids)
