"""Bare answers ("Nguyễn Thị Lan", "Bắc Giang", "500 triệu", "Công ty TNHH Minh Phát").

Inside a form people answer with a name, a place, an amount: no request at all. Without help the
classifier puts such text in ``out_of_scope`` (its catch-all) with high confidence, and the dialogue
would refuse a perfectly good answer. So the engine learns one internal class, ``FRAGMENT``, from
phrases generated out of its own lexicons, and reports it as ``nlu_fallback`` (no intent), never as
an intent of its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from nlu.lexicon import product_table
from nlu.taxonomy import PROVINCES, SECTORS

FRAGMENT = "_fragment"

_SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Mai", "Cao", "Lương", "Tạ"]
_MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Hữu", "Thanh", "Ngọc", "Quốc", "Thu", "Hoài", "Xuân", "Kim", "Hồng", "Anh"]
_GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Ngọc", "Phong", "Phúc", "Phương", "Quang", "Quân", "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Trang", "Trung", "Tuấn", "Tùng", "Việt", "Yến", "Huy", "Đạt", "Thành", "Lộc", "Vy", "Nhung", "Oanh", "Giang"]
_ORG_KINDS = ("Công ty TNHH", "Công ty cổ phần", "Cty", "HTX", "Hợp tác xã", "Doanh nghiệp tư nhân",
              "Viện", "Trung tâm", "Trường Đại học", "Cơ sở sản xuất", "Tổ hợp tác")
_ORG_WORDS = ("Minh Phát", "Tân Lập", "Nông nghiệp xanh", "Cơ điện nông nghiệp", "Thực phẩm sạch",
              "Hưng Thịnh", "Phú Gia", "Sao Việt", "Thủy sản Mekong", "Chè Tân Cương",
              "Nghiên cứu rau quả", "Ứng dụng tiến bộ khoa học", "Bách khoa", "Nông Lâm",
              "Thương mại dịch vụ An Khang", "Cà phê Tây Nguyên", "Dược liệu Sapa")
_STREETS = ("Lê Lợi", "Trần Phú", "Nguyễn Huệ", "Hùng Vương", "Quang Trung", "Lý Thường Kiệt")
_AMOUNT_UNITS = ("triệu", "tr", "tỷ", "ty", "trieu", "triệu đồng", "tỷ đồng")
_HEDGES = ("", "", "khoảng ", "tầm ", "dưới ", "tối đa ", "chừng ")
_PLACE_PREFIX = ("", "", "", "ở ", "tại ", "tỉnh ", "bên ")


def _person(rng: random.Random) -> str:
    parts = [rng.choice(_SURNAMES)]
    if rng.random() < 0.8:
        parts.append(rng.choice(_MIDDLE))
    parts.append(rng.choice(_GIVEN))
    name = " ".join(parts)
    return rng.choice(("", "", "", "anh ", "chị ", "tôi là ", "em tên ")) + name


def _amount(rng: random.Random) -> str:
    n = rng.choice(("50", "100", "200", "300", "500", "800", "1", "1,5", "2", "3", "1.2", "5"))
    return f"{rng.choice(_HEDGES)}{n} {rng.choice(_AMOUNT_UNITS)}".strip()


def _generators() -> list[Callable[[random.Random], str]]:
    names = [n for p in PROVINCES for n in (p.name, *p.former)]
    products = [c for c, _, _ in product_table()]
    sectors = [s.name for s in SECTORS]
    return [
        _person,
        lambda r: r.choice(_PLACE_PREFIX) + r.choice(names),
        lambda r: r.choice(products),
        _amount,
        lambda r: f"{r.choice(_ORG_KINDS)} {r.choice(_ORG_WORDS)}",
        lambda r: f"số {r.randint(1, 200)} {r.choice(_STREETS)}, {r.choice(names)}",
        lambda r: r.choice(sectors),
        lambda r: f"{r.choice(products)} ở {r.choice(names)}",
    ]


def fragment_examples(n: int = 240, seed: int = 17) -> list[str]:
    """``n`` varied bare answers, the same for the same seed (training stays reproducible)."""
    rng = random.Random(seed)
    gens = _generators()
    seen: dict[str, None] = {}
    tries = 0
    while len(seen) < n and tries < n * 20:
        tries += 1
        seen[gens[tries % len(gens)](rng)] = None
    return list(seen)
