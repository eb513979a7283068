"""CPU per plain message of an offerer's chat, against any other chat.

While one of their offers is under review, an offerer's plain message is first checked for a
reviewer's question waiting for their answer ("Cần bổ sung"): one query. Other chats, and the
offerer's once every offer is decided, only read a flag of the chat's state. Prints the process
CPU time per message (wall time is inflated by other load on a shared machine).

    python benchmarks/offerer_bench.py [--messages 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import update  # noqa: E402

from storage.models import Technology  # noqa: E402
from tests.handlers.chat import Chat, fresh_app  # noqa: E402


async def offer(chat: Chat) -> None:
    """The offer form, as an institute fills it in chat."""
    await chat.send("chúng tôi muốn chào bán công nghệ")
    await chat.send("Máy sấy bơm nhiệt 500 kg/mẻ")
    await chat.send("Sấy nông sản bằng bơm nhiệt, tiết kiệm 40% điện so với sấy điện trở")
    if "lĩnh vực nào" in chat.text:
        await chat.press("Chế biến")
    await chat.press("Đã thương mại hóa")
    await chat.press("Mua bán")
    await chat.send("Viện Cơ điện nông nghiệp")
    await chat.send("vien@vcd.vn")
    await chat.press("Xác nhận")
    assert "chờ thẩm định" in chat.text


async def cpu_ms(chat: Chat, messages: int) -> float:
    start = time.process_time()
    for _ in range(messages):
        await chat.send("cảm ơn em nhiều")
    return (time.process_time() - start) / messages * 1000


async def main(messages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = await fresh_app(Path(tmp))
        plain, offerer = Chat(app, "plain"), Chat(app, "offerer")
        await offer(offerer)
        await cpu_ms(plain, 20)  # warm up
        await cpu_ms(offerer, 20)
        print(f"offer under review: other chat {await cpu_ms(plain, messages):.3f} ms CPU/msg, "
              f"offerer {await cpu_ms(offerer, messages):.3f} ms CPU/msg")
        async with app.services.db.transaction() as s:
            await s.execute(update(Technology).where(Technology.status == "pending_review")
                            .values(status="published"))
        await offerer.send("cảm ơn")  # every offer decided: the flag goes
        print(f"every offer decided: other chat {await cpu_ms(plain, messages):.3f} ms CPU/msg, "
              f"offerer {await cpu_ms(offerer, messages):.3f} ms CPU/msg")
        await app.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    asyncio.run(main(parser.parse_args().messages))
