"""Domain taxonomies shared by every package: sectors (stable ids) and provinces since 1 July 2025.

Provinces follow Resolution 202/2025/QH15: 34 units; every pre-2025 province maps to the unit that
absorbed it, and so do the provinces abolished earlier that lie within one unit (Hà Tây → Hà Nội). Ids are stable ASCII slugs; names are the official Vietnamese names.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from nlu.normalize import plain


@dataclass(frozen=True, slots=True)
class Sector:
    id: str
    name: str  # Vietnamese display name
    keywords: tuple[str, ...]  # words that signal the sector (any diacritics)


SECTORS: tuple[Sector, ...] = (
    Sector("agri_processing", "Chế biến nông sản, thực phẩm",
           ("chế biến", "thực phẩm", "nước ép", "mứt", "đồ uống", "đóng hộp", "sấy")),
    Sector("post_harvest", "Bảo quản sau thu hoạch",
           ("bảo quản", "sau thu hoạch", "kho lạnh", "chiếu xạ", "sơ chế", "bảo quản lạnh")),
    Sector("crop", "Trồng trọt, giống cây trồng",
           ("trồng trọt", "giống cây", "nhà màng", "tưới", "thủy canh", "canh tác")),
    Sector("aquaculture", "Nuôi trồng, chế biến thủy sản",
           ("thủy sản", "nuôi tôm", "nuôi cá", "ao nuôi", "hải sản", "biofloc")),
    Sector("livestock", "Chăn nuôi, thú y",
           ("chăn nuôi", "thú y", "trang trại lợn", "gà", "bò", "thức ăn chăn nuôi")),
    Sector("environment", "Xử lý nước, chất thải và môi trường",
           ("xử lý nước", "xử lý nước thải", "nước thải", "chất thải", "rác", "môi trường", "khí thải", "nước sạch")),
    Sector("energy", "Năng lượng, tiết kiệm năng lượng",
           ("năng lượng", "điện mặt trời", "tiết kiệm điện", "biogas", "lò hơi", "sinh khối")),
    Sector("mechanics", "Cơ khí, tự động hóa",
           ("cơ khí", "tự động hóa", "máy", "dây chuyền", "robot", "băng tải", "cnc")),
    Sector("digital", "Công nghệ thông tin, chuyển đổi số",
           ("phần mềm", "chuyển đổi số", "truy xuất nguồn gốc", "iot", "ai", "dữ liệu", "erp")),
    Sector("materials", "Vật liệu mới",
           ("vật liệu", "composite", "polyme", "nano", "bao bì", "màng phủ")),
    Sector("biotech", "Công nghệ sinh học, chế phẩm vi sinh",
           ("vi sinh", "chế phẩm", "sinh học", "phân hữu cơ", "enzyme", "men", "nuôi cấy mô")),
    Sector("herbal", "Dược liệu",
           ("dược liệu", "thảo dược", "chiết xuất", "tinh dầu", "sâm", "cao dược liệu")),
    Sector("construction", "Vật liệu xây dựng",
           ("vật liệu xây dựng", "gạch không nung", "bê tông", "xi măng", "xây dựng")),
    Sector("forestry_wood", "Lâm nghiệp, chế biến gỗ",
           ("gỗ", "lâm nghiệp", "ván", "rừng", "tre", "nội thất")),
    Sector("handicraft", "Làng nghề, thủ công mỹ nghệ",
           ("làng nghề", "thủ công", "mỹ nghệ", "gốm", "sứ", "mây tre", "dệt", "sơn mài")),
)

SECTOR_BY_ID: dict[str, Sector] = {s.id: s for s in SECTORS}


@dataclass(frozen=True, slots=True)
class Province:
    id: str
    name: str  # official name of the unit in force since 1 July 2025
    former: tuple[str, ...] = ()  # pre-2025 provinces merged into it (besides itself)
    aliases: tuple[str, ...] = ()  # abbreviations and common spellings
    # Provinces abolished before 2008 that lie wholly within this unit today ("Hà Tây", merged
    # into Hà Nội on 1 August 2008). Names split between two of today's units (Hải Hưng, Sông
    # Bé, Nghệ Tĩnh...) are left out: they cannot say which unit is meant.
    historic: tuple[str, ...] = ()


PROVINCES: tuple[Province, ...] = (
    Province("ha_noi", "Hà Nội", (), ("HN", "Hanoi", "TP Hà Nội", "thủ đô"), ("Hà Tây",)),
    Province("hue", "Huế", ("Thừa Thiên Huế",), ("TT Huế", "TTH", "TP Huế")),
    Province("lai_chau", "Lai Châu"),
    Province("dien_bien", "Điện Biên"),
    Province("son_la", "Sơn La"),
    Province("lang_son", "Lạng Sơn"),
    Province("quang_ninh", "Quảng Ninh"),
    Province("thanh_hoa", "Thanh Hóa", (), ("xứ Thanh",)),
    Province("nghe_an", "Nghệ An", (), ("xứ Nghệ",)),
    Province("ha_tinh", "Hà Tĩnh"),
    Province("cao_bang", "Cao Bằng"),
    Province("tuyen_quang", "Tuyên Quang", ("Hà Giang",), (), ("Hà Tuyên",)),
    Province("lao_cai", "Lào Cai", ("Yên Bái",), (), ("Hoàng Liên Sơn",)),
    Province("thai_nguyen", "Thái Nguyên", ("Bắc Kạn", "Bắc Cạn"), (), ("Bắc Thái",)),
    Province("phu_tho", "Phú Thọ", ("Vĩnh Phúc", "Hòa Bình"), (), ("Vĩnh Phú",)),
    Province("bac_ninh", "Bắc Ninh", ("Bắc Giang",), (), ("Hà Bắc",)),
    Province("hung_yen", "Hưng Yên", ("Thái Bình",)),
    Province("hai_phong", "Hải Phòng", ("Hải Dương",), ("HP", "TP Hải Phòng")),
    Province("ninh_binh", "Ninh Bình", ("Hà Nam", "Nam Định"), (), ("Hà Nam Ninh", "Nam Hà")),
    Province("quang_tri", "Quảng Trị", ("Quảng Bình",)),
    Province("da_nang", "Đà Nẵng", ("Quảng Nam",), ("TP Đà Nẵng", "Danang", "ĐNẵng"),
             ("Quảng Nam - Đà Nẵng", "Quảng Nam Đà Nẵng")),
    Province("quang_ngai", "Quảng Ngãi", ("Kon Tum", "Kontum")),
    Province("gia_lai", "Gia Lai", ("Bình Định",)),
    Province("khanh_hoa", "Khánh Hòa", ("Ninh Thuận",), ("Nha Trang",)),
    Province("lam_dong", "Lâm Đồng", ("Đắk Nông", "Đăk Nông", "Bình Thuận"), ("Đà Lạt",)),
    Province("dak_lak", "Đắk Lắk", ("Phú Yên",), ("Đăk Lăk", "Daklak", "Buôn Ma Thuột")),
    Province(
        "ho_chi_minh", "TP. Hồ Chí Minh", ("Bình Dương", "Bà Rịa - Vũng Tàu", "Bà Rịa Vũng Tàu"),
        ("HCM", "TPHCM", "TP HCM", "Hồ Chí Minh", "Sài Gòn", "SG", "Saigon", "BRVT", "Vũng Tàu",
         "thành phố Hồ Chí Minh"),
    ),
    Province("dong_nai", "Đồng Nai", ("Bình Phước",)),
    Province("tay_ninh", "Tây Ninh", ("Long An",)),
    Province("can_tho", "Cần Thơ", ("Sóc Trăng", "Hậu Giang"), ("TP Cần Thơ",)),
    Province("vinh_long", "Vĩnh Long", ("Bến Tre", "Trà Vinh")),
    Province("dong_thap", "Đồng Tháp", ("Tiền Giang",)),
    Province("ca_mau", "Cà Mau", ("Bạc Liêu",), (), ("Minh Hải",)),
    Province("an_giang", "An Giang", ("Kiên Giang",), ("Phú Quốc",)),
)

PROVINCE_BY_ID: dict[str, Province] = {p.id: p for p in PROVINCES}


@lru_cache(maxsize=1)
def province_names() -> dict[str, Province]:
    """Every way of naming a province (plain form) → the unit in force.

    "DN" is deliberately absent: it means "doanh nghiệp" far more often than Đà Nẵng.
    """
    table: dict[str, Province] = {}
    for p in PROVINCES:
        for name in (p.name, *p.former, *p.aliases, *p.historic):
            table[plain(name).replace("-", " ").replace(".", " ")] = p
            table[" ".join(plain(name).replace("-", " ").replace(".", " ").split())] = p
    # "TP. Hồ Chí Minh" and friends without the prefix are already aliases; strip stray spaces.
    return {" ".join(k.split()): v for k, v in table.items()}


def find_province(text: str) -> Province | None:
    """Resolve a name as written (any diacritics, old or new) to the unit in force."""
    key = " ".join(plain(text).replace("-", " ").replace(".", " ").split())
    for prefix in ("tinh ", "thanh pho ", "tp "):
        if key.startswith(prefix) and key[len(prefix):] in province_names():
            return province_names()[key[len(prefix):]]
    return province_names().get(key) or PROVINCE_BY_ID.get(key)


def find_sector(text: str) -> Sector | None:
    """Resolve a sector id or Vietnamese name (any diacritics)."""
    key = plain(text).strip()
    if key in SECTOR_BY_ID:
        return SECTOR_BY_ID[key]
    for s in SECTORS:
        if plain(s.name) == key or key == s.id.replace("_", " "):
            return s
    return None
