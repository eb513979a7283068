"""Greetings, help, menu, thanks/goodbye, yes/no without a question, and the commands
/start, /help, /menu, /huy."""

from __future__ import annotations

from handlers.base import Context, Router
from handlers.ui import main_menu

router = Router("menu")

INTRO = (
    "Em là trợ lý của mạng lưới điểm kết nối cung cầu công nghệ. Em có thể giúp anh/chị:\n"
    "• tìm công nghệ, thiết bị, quy trình phù hợp với nhu cầu sản xuất;\n"
    "• tìm chuyên gia tư vấn;\n"
    "• chào bán công nghệ của đơn vị mình;\n"
    "• xem sự kiện, khóa đào tạo, chương trình hỗ trợ kinh phí và sở hữu trí tuệ;\n"
    "• kết nối với cán bộ của Trung tâm.\n"
    "Anh/chị cứ nhắn nhu cầu bằng lời của mình (có dấu hay không dấu đều được), ví dụ: "
    "“cần công nghệ sấy vải thiều ở Bắc Giang”."
)


def _name(ctx: Context) -> str:
    name = (ctx.incoming.user_name or "").strip()
    return f" {name}" if name and len(name) <= 40 else ""


@router.intent("greet")
async def greet(ctx: Context) -> None:
    ctx.say(f"Dạ, em chào anh/chị{_name(ctx)}! {INTRO}", main_menu())


@router.intent("help")
@router.command("help")
async def help_(ctx: Context) -> None:
    ctx.say(
        f"{INTRO}\n\nCác lệnh: /menu (danh mục), /huy (hủy thao tác đang làm), /help (hướng dẫn). "
        "Khi đang khai thông tin, anh/chị gõ “quay lại” để sửa câu trước, “bỏ qua” với mục không "
        "bắt buộc, “hủy” để dừng.",
        main_menu(),
    )


@router.command("menu")
async def menu(ctx: Context) -> None:
    ctx.say("Dạ, anh/chị cần em hỗ trợ việc gì ạ?", main_menu())


@router.command("start")
async def start(ctx: Context) -> None:
    payload = ctx.args[0] if ctx.args else ""
    if payload and await ctx.open_deep_link(payload):
        return
    await greet(ctx)


@router.command("huy", "cancel")
async def cancel(ctx: Context) -> None:
    if ctx.cancel():
        return
    ctx.state.parked = None
    ctx.say("Dạ, hiện không có thao tác nào đang làm dở để hủy ạ. Anh/chị cần gì cứ nhắn em nhé.",
            main_menu())


@router.intent("thanks")
async def thanks(ctx: Context) -> None:
    ctx.say("Dạ, không có gì ạ! Anh/chị cần hỗ trợ thêm cứ nhắn em nhé.", main_menu())


@router.intent("goodbye")
async def goodbye(ctx: Context) -> None:
    ctx.say("Dạ, em chào anh/chị! Chúc anh/chị một ngày làm việc hiệu quả. Khi cần, anh/chị cứ "
            "nhắn em bất cứ lúc nào ạ.")


@router.intent("affirm")
async def affirm(ctx: Context) -> None:
    ctx.say("Dạ vâng. Anh/chị cần em hỗ trợ việc gì ạ?", main_menu())


@router.intent("deny")
async def deny(ctx: Context) -> None:
    ctx.say("Dạ vâng ạ. Khi cần, anh/chị chọn một mục dưới đây hoặc nhắn nhu cầu cho em nhé.",
            main_menu())
