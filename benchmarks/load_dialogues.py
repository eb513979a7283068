"""The load test's dialogues: varied as real users write, so no cache answers most lines.

Each kind of dialogue (a technology demand, an events question, a news subscription) comes in
several scripts: different sectors, products, provinces, phrasings, with and without
diacritics. A demand's budget and phone number are drawn per user (`fill`), so its first lines
are unique across users; the replies differ from the script's reference only in numbers, which
the checks ignore. A line is typed; "@label" presses the button so labelled on the last reply
(the first button when there is none with that label); "+text" is typed right after the
previous line (no reading).
"""

from __future__ import annotations

import random

_DEMANDS = [
    ("cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang {budget} trieu",
     "Công ty TNHH Minh Phát"),
    ("Hợp tác xã chúng tôi ở Sóc Trăng cần công nghệ bảo quản hành tím sau thu hoạch, "
     "kinh phí khoảng {budget} triệu", "HTX Hành tím Vĩnh Châu"),
    ("can may say ca phe o dak lak, von tam {budget} trieu", "Cơ sở cà phê Buôn Hồ"),
    ("Doanh nghiệp em ở Đồng Nai cần hệ thống xử lý nước thải chăn nuôi heo, dự kiến "
     "{budget} triệu đồng", "Trang trại Xuân Lộc"),
    ("minh can day chuyen che bien tra xanh o thai nguyen kinh phi {budget} trieu",
     "HTX chè Tân Cương"),
    ("Công ty ở Cần Thơ cần công nghệ sấy thanh long bằng bơm nhiệt, ngân sách {budget} triệu",
     "Công ty CP Nông sản Tây Đô"),
    ("htx o lam dong can kho lanh bao quan rau, khoang {budget} trieu", "HTX rau Đà Lạt"),
    ("cơ sở tôi ở Cà Mau cần công nghệ chế biến tôm khô, kinh phí {budget} triệu",
     "Cơ sở tôm Năm Căn"),
    ("can cong nghe che bien duoc lieu sam ngoc linh o quang nam, tam {budget} trieu",
     "Công ty dược liệu Nam Trà My"),
    ("Chúng tôi ở Hà Nội cần phần mềm truy xuất nguồn gốc cho gạo, kinh phí {budget} triệu",
     "Công ty TNHH Nông nghiệp số"),
]

_EVENTS = [
    ("xin chào", "co hoi thao nao ve che bien nong san khong", "cảm ơn em"),
    ("chào em", "sắp tới có sự kiện gì ở Hà Nội không", "cam on nhe"),
    ("hello ad", "co lop tap huan nao ve nuoi tom khong", "thanks ad"),
    ("Chào bạn", "có hội thảo chuyển đổi số nào không em", "ok cảm ơn nhiều"),
    ("alo", "techmart sap toi o dau vay", "cảm ơn ạ"),
    ("xin chao", "sự kiện về dược liệu sắp tới", "tks em"),
    ("chào ad", "co su kien nao o Lam Dong khong", "cảm ơn bạn"),
    ("hi", "có khóa đào tạo nào về máy sấy không", "ok thanks"),
    ("chao em", "hoi thao xu ly nuoc thai sap toi", "cam on em nhieu"),
]

_SUBSCRIPTIONS = [
    ("dang ky nhan tin", "@Bảo quản sau thu hoạch", "@Toàn quốc", "@Mọi loại sự kiện"),
    ("Đăng ký nhận tin sự kiện", "@Chế biến nông sản, thực phẩm", "@Toàn quốc", "@Hội thảo"),
    ("cho minh dang ky nhan thong bao", "@Dược liệu", "Lâm Đồng", "@Mọi loại sự kiện"),
    ("tôi muốn nhận bản tin", "@Nuôi trồng, chế biến thủy sản", "can tho",
     "@Đào tạo, tập huấn"),
    ("dang ki nhan tin cong nghe moi", "@Cơ khí, tự động hóa", "@Toàn quốc",
     "@Techmart (chợ công nghệ)"),
    ("đăng ký nhận tin", "@Chăn nuôi, thú y", "Đồng Nai", "@Trình diễn công nghệ"),
    ("muon nhan tin su kien moi", "@Công nghệ thông tin, chuyển đổi số", "ha noi",
     "@Techfest (khởi nghiệp)"),
    ("Cho em nhận thông báo sự kiện với", "@Năng lượng, tiết kiệm năng lượng", "@Toàn quốc",
     "@Phiên kết nối cung cầu"),
    ("dang ky nhan ban tin", "@Trồng trọt, giống cây trồng", "Đắk Lắk", "@Mọi loại sự kiện"),
]


def _scripts() -> dict[str, list[str]]:
    scripts: dict[str, list[str]] = {}
    for n, (need, company) in enumerate(_DEMANDS):
        scripts[f"demand/{n}"] = [need, company, "+{phone}", "@Đồng ý", "@Xác nhận"]
    for n, (hello, question, thanks) in enumerate(_EVENTS):
        scripts[f"events/{n}"] = [hello, question, "@1", thanks]
    for n, (ask, sector, where, kind) in enumerate(_SUBSCRIPTIONS):
        scripts[f"subscription/{n}"] = [ask, sector, where, kind, "@Xác nhận"]
    return scripts


# Script name ("kind/n") → its lines, interleaved by kind so any number of users mixes them.
SCRIPTS = dict(sorted(_scripts().items(), key=lambda kv: (int(kv[0].split("/")[1]), kv[0])))
KINDS = ("demand", "events", "subscription")


def fill(lines: list[str], rng: random.Random) -> list[str]:
    """One user's lines: the script with this user's budget and mobile number."""
    budget = rng.randrange(100, 1000, 10)
    phone = "0" + rng.choice("3579") + "".join(rng.choice("0123456789") for _ in range(8))
    return [line.format(budget=budget, phone=phone) for line in lines]


def steps_of(lines: list[str]) -> list[list[str]]:
    """Lines grouped into steps: a "+" line joins the step before it."""
    steps: list[list[str]] = []
    for line in lines:
        if line.startswith("+") and steps:
            steps[-1].append(line[1:])
        else:
            steps.append([line])
    return steps
