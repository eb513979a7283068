"""Built-in lexicons (provinces, sectors, products, event kinds) compiled into one gazetteer.

The built-ins make the engine useful with little training data; ``lookup`` and ``synonym`` blocks
in the training data extend them (see ``nlu/extractors.py``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from nlu.gazetteer import Gazetteer, is_single_marked
from nlu.normalize import plain
from nlu.taxonomy import PROVINCES, SECTORS

_RESOURCES = Path(__file__).parent / "resources"

# Province names that are also ordinary phrases ("hòa bình" = peace, "cao bằng" = as high as).
_ORDINARY_PLACE_NAMES = frozenset({"hoa binh", "son la", "cao bang", "thai binh", "an giang"})
# Old province names that are also a person's name or a mountain range ("Minh Hải", "dãy
# Hoàng Liên Sơn").
_HISTORIC_NEEDS_CUE = frozenset({"hoang lien son", "nam ha", "ha bac"})
_HISTORIC_PERSON_NAMES = frozenset({"minh hai"})  # only after "ở", "tỉnh"...
# Abbreviations that are also chat shorthand ("hn" = hôm nay) or brands ("HP").
_AMBIGUOUS_ABBREVIATIONS = frozenset({"hn", "hp", "sg", "tth", "hcm", "tphcm", "brvt"})
# Sector keywords too generic alone ("ai" = who, unless written "AI").
_UPPER_ONLY_KEYWORDS = frozenset({"ai", "iot", "erp", "cnc"})

EVENT_KINDS: dict[str, tuple[str, ...]] = {
    "techmart": ("techmart", "tech mart", "chợ công nghệ", "hội chợ công nghệ",
                 "chợ công nghệ và thiết bị", "hội chợ triển lãm công nghệ", "hội chợ",
                 "triển lãm công nghệ", "triển lãm"),
    "techdemo": ("techdemo", "tech demo", "trình diễn công nghệ", "trình diễn kết nối",
                 "trình diễn", "demo công nghệ"),
    "techfest": ("techfest", "tech fest", "ngày hội khởi nghiệp", "ngày hội đổi mới sáng tạo",
                 "lễ hội công nghệ", "festival công nghệ", "ngày hội khởi nghiệp đổi mới sáng tạo"),
    "workshop": ("workshop", "hội thảo", "tọa đàm", "seminar", "diễn đàn", "hội nghị",
                 "hội thảo chuyên đề", "buổi chia sẻ", "webinar"),
    "training": ("tập huấn", "lớp tập huấn", "đào tạo", "lớp đào tạo", "khóa đào tạo",
                 "khóa học", "lớp học", "training", "bồi dưỡng", "lớp bồi dưỡng", "khoá tập huấn"),
    "connection_session": ("phiên kết nối", "kết nối cung cầu", "phiên kết nối cung cầu",
                           "techconnect", "tech connect", "phiên giao dịch công nghệ",
                           "gặp gỡ kết nối", "sự kiện kết nối", "buổi kết nối", "phiên giao dịch",
                           "kết nối cung - cầu"),
}


def _add_provinces(g: Gazetteer) -> None:
    for p in PROVINCES:
        extra = {"id": p.id}
        for name in (p.name, *p.former):
            key = plain(name).replace("-", " ").replace(".", " ")
            names = [name]
            if key.startswith("tp "):  # "TP. Hồ Chí Minh": the bare name is common too
                names.append(name.split(".", 1)[-1].strip())
            for n in names:
                g.add("province", n, p.name, extra=extra,
                      needs_cue=" ".join(plain(n).split()) in _ORDINARY_PLACE_NAMES,
                      plain_needs_cue=is_single_marked(n))
        for old in p.historic:  # some are also a person's or a mountain range's name
            g.add("province", old, p.name, extra=extra,
                  needs_cue=plain(old) in _HISTORIC_NEEDS_CUE,
                  upper_or_cue=plain(old) in _HISTORIC_PERSON_NAMES)
        for alias in p.aliases:
            key = " ".join(plain(alias).replace(".", " ").split())
            g.add("province", alias, p.name, extra=extra,
                  upper_or_cue=key in _AMBIGUOUS_ABBREVIATIONS and key not in {"hcm", "tphcm"})


def _add_sectors(g: Gazetteer) -> None:
    for s in SECTORS:
        for kw in s.keywords:
            key = plain(kw)
            g.add("sector", kw, s.id, strict=is_single_marked(kw),
                  upper_or_cue=key in _UPPER_ONLY_KEYWORDS)


def product_table() -> list[tuple[str, list[str], frozenset[str]]]:
    rows = []
    for line in (_RESOURCES / "products.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        canonical = cols[0].strip()
        variants = [v.strip() for v in cols[1].split("|")] if len(cols) > 1 else []
        veto = frozenset(plain(v) for v in cols[2].split("|") if v.strip()) if len(cols) > 2 else frozenset()
        rows.append((canonical, [canonical, *[v for v in variants if v]], veto))
    return rows


# One-word product names that are mostly ordinary words ("điều kiện", "liên lạc", "cảm ơn" typed
# "cam on", "hành chính"): only their longer forms ("hạt điều", "củ hành") count.
NEVER_ALONE = frozenset(
    {"dieu", "tieu", "cam", "hanh", "lac", "na", "que", "bo", "mi", "hat", "nghe", "hoi"}
)
_SHORT_ASCII_OK = frozenset({"tom", "heo", "rau", "tre"})


def add_product(g: Gazetteer, phrase: str, canonical: str, veto: frozenset[str] = frozenset()) -> None:
    key = plain(phrase).strip()
    if key in NEVER_ALONE or (
        " " not in key and phrase.isascii() and len(key) < 5 and key not in _SHORT_ASCII_OK
    ):
        return
    # A veto word is a single next word; multi-word vetoes use their first word.
    first_words = frozenset(v.split()[0] for v in veto)
    g.add("product", phrase, canonical, strict=is_single_marked(phrase), not_before=first_words)


def _add_products(g: Gazetteer) -> None:
    for canonical, variants, veto in product_table():
        for v in variants:
            add_product(g, v, canonical, veto)


def _add_event_kinds(g: Gazetteer) -> None:
    for kind, phrases in EVENT_KINDS.items():
        g.add_all("event_kind", phrases, kind)


@lru_cache(maxsize=1)
def builtin_gazetteer() -> Gazetteer:
    g = Gazetteer()
    _add_provinces(g)
    _add_sectors(g)
    _add_products(g)
    _add_event_kinds(g)
    return g
