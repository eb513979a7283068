"""Greetings, help, /start, /menu and yes/no outside any question (handlers/common.py)."""

from __future__ import annotations

from tests.handlers.chat import Bot, Chat


async def test_greet_help_thanks_goodbye(chat: Chat) -> None:
    await chat.send("xin chào")
    assert "em chào anh/chị" in chat.text and chat.has_button("Tìm công nghệ")
    await chat.send("/help")
    assert "/huy" in chat.text and chat.has_button("Tìm chuyên gia")
    await chat.send("cảm ơn nhiều nhé")
    assert "không có gì" in chat.text
    await chat.send("tạm biệt")
    assert "em chào anh/chị" in chat.text.lower() or "tạm biệt" in chat.text.lower()


async def test_start_and_menu_commands(chat: Chat) -> None:
    chat.name = "Lan"
    await chat.send("/start")
    assert "em chào anh/chị Lan" in chat.text and chat.has_button("Sự kiện sắp tới")
    await chat.send("/menu")
    assert chat.has_button("Chào bán công nghệ")
    await chat.send("/start khong_co_gi")  # unknown deep-link payload: plain greeting
    assert "em chào anh/chị" in chat.text


async def test_affirm_without_question_and_deny(chat: Chat) -> None:
    await chat.send("ok")
    assert chat.replies and chat.buttons
    await chat.send("không")
    assert chat.replies and chat.buttons


async def test_demand_rows_untouched_by_chit_chat(chat: Chat, bot: Bot) -> None:
    for text in ("xin chào", "cảm ơn", "/menu", "ok"):
        await chat.send(text)
    assert await bot.demands() == []
