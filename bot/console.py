"""The console channel: a terminal (or a pipe) talking to `App.handle`.

Buttons are printed as numbered choices (`bot.render`, shared with the Zalo channels); typing the
number presses the button, resolved by the core from the chat's state. When stdin is
not a terminal, every line is one message and each answer is printed and flushed before the next
line is read, so a dialogue can be scripted (`printf '...\\n...\\n' | ketnoi chat --user u1`).
Input is read as bytes and decoded as UTF-8 with invalid bytes replaced (a file saved in another
encoding, a terminal in a legacy code page): such a line is answered like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, BinaryIO, TextIO

from bot.app import App
from bot.render import numbered_texts
from bot.types import ContentKind, Incoming, Outgoing

CHANNEL = "console"
HINT = (
    "Trò chuyện với trợ lý ketnoi. Gõ tin nhắn rồi Enter; gõ số để bấm nút; "
    "Ctrl-D hoặc Ctrl-C để thoát."
)
BYE = "Tạm biệt anh/chị!"
STARTING = "Đang mở trợ lý ketnoi ({database})..."
TRAINING = (
    "Em đang huấn luyện mô hình hiểu tiếng Việt (lần đầu chạy, hoặc dữ liệu huấn luyện vừa thay "
    "đổi); việc này mất khoảng một phút và chỉ làm một lần..."
)


class Console:
    """Turns typed lines into `Incoming` and `Outgoing` into numbered text."""

    def __init__(self, app: App, user_id: str, name: str | None = None) -> None:
        self.app = app
        self.user_id = user_id
        self.name = name

    def incoming(self, line: str) -> Incoming:
        text = line.rstrip("\r\n")
        kind = ContentKind.COMMAND if text.strip().startswith("/") else ContentKind.TEXT
        return Incoming(CHANNEL, self.user_id, self.user_id, text=text, user_name=self.name,
                        kind=kind, numbered=True)

    async def send(self, line: str) -> list[Outgoing]:
        return await self.app.handle(self.incoming(line))

    @staticmethod
    def render(replies: list[Outgoing]) -> str:
        return "\n\n".join(numbered_texts(replies))


def run_console(
    create: Callable[[], Coroutine[Any, Any, App]],
    user_id: str,
    name: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    starting: Sequence[str] = (),
) -> None:
    """Run the chat loop until end of input, Ctrl-D or Ctrl-C; `create()` builds the App.

    `starting` says what the start-up is doing: shown in a terminal; piped, only a message
    about a long step goes to stderr, so the transcript on stdout stays clean.
    """
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    for stream in (stdin, stdout):
        _replace_undecodable(stream)
    with asyncio.Runner() as runner:
        for line in starting:
            if interactive:
                _write(stdout, line)
            elif line == TRAINING:
                _write(sys.stderr, line)
        app: App = runner.run(create())
        console = Console(app, user_id, name)
        try:
            if interactive:
                _write(stdout, HINT + "\n\n" + Console.render(runner.run(console.send("/start"))))
            _loop(runner, console, stdin, stdout, interactive)
        except KeyboardInterrupt:
            _write(stdout, "\n" + BYE)
        finally:
            runner.run(app.close())


def _loop(runner: asyncio.Runner, console: Console, stdin: TextIO, stdout: TextIO,
          interactive: bool) -> None:
    while True:
        if interactive:
            try:
                line = input("\nBạn: ")
            except EOFError:
                _write(stdout, "\n" + BYE)
                return
            if not line.strip():
                continue
        else:
            line = read_line(stdin)
            if line == "":  # end of input
                return
        replies = runner.run(console.send(line))
        if not interactive:
            _write(stdout, f"> {line.rstrip()}")
        _write(stdout, Console.render(replies) + ("" if interactive else "\n"))


def read_line(stdin: TextIO) -> str:
    """One line as bytes from the underlying buffer (when there is one), decoded leniently."""
    buffer: BinaryIO | None = getattr(stdin, "buffer", None)
    if buffer is None:
        return stdin.readline()
    return buffer.readline().decode("utf-8", errors="replace")


def _replace_undecodable(stream: TextIO) -> None:
    """`input()` and `print` go through the text layer: make it replace, not raise."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(OSError, ValueError):  # already read from: keep its settings
            reconfigure(encoding="utf-8", errors="replace")


def _write(stdout: TextIO, text: str) -> None:
    stdout.write(text + "\n")
    stdout.flush()
