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
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from bot.app import App
from bot.render import numbered_texts
from bot.types import Attachment, ContentKind, Incoming, Outgoing

CHANNEL = "console"
HINT = (
    "Trò chuyện với trợ lý ketnoi. Gõ tin nhắn rồi Enter; gõ số để bấm nút; "
    "Ctrl-D hoặc Ctrl-C để thoát."
)
BYE = "Tạm biệt anh/chị!"
FILES_DIR = Path("var/attachments")  # where files sent in the console chat are saved
STARTING = "Đang mở trợ lý ketnoi ({database})..."
TRAINING = (
    "Em đang huấn luyện mô hình hiểu tiếng Việt (lần đầu chạy, hoặc dữ liệu huấn luyện vừa thay "
    "đổi); việc này mất khoảng một phút và chỉ làm một lần..."
)


class Console:
    """Turns typed lines into `Incoming` and `Outgoing` into numbered text."""

    def __init__(self, app: App, user_id: str, name: str | None = None,
                 files_dir: Path = FILES_DIR) -> None:
        self.app = app
        self.user_id = user_id
        self.name = name
        self.files_dir = files_dir

    def incoming(self, line: str) -> Incoming:
        text = line.rstrip("\r\n")
        kind = ContentKind.COMMAND if text.strip().startswith("/") else ContentKind.TEXT
        return Incoming(CHANNEL, self.user_id, self.user_id, text=text, user_name=self.name,
                        kind=kind, numbered=True)

    async def send(self, line: str) -> list[Outgoing]:
        return [self._save_files(r) for r in await self.app.handle(self.incoming(line))]

    def _save_files(self, reply: Outgoing) -> Outgoing:
        """A terminal shows no pictures: files are saved, and their path is shown as the link."""
        if not any(a.data for a in reply.attachments):
            return reply
        saved: list[Attachment] = []
        for attachment in reply.attachments:
            if attachment.data:
                self.files_dir.mkdir(parents=True, exist_ok=True)
                path = self.files_dir / Path(attachment.filename).name
                path.write_bytes(attachment.data)
                attachment = replace(attachment, url=str(path))
            saved.append(attachment)
        return replace(reply, attachments=tuple(saved))

    @staticmethod
    def render(replies: list[Outgoing]) -> str:
        return "\n\n".join(numbered_texts([_with_files(r) for r in replies]))


def _with_files(reply: Outgoing) -> Outgoing:
    """The reply's text followed by one line per file: its name and where it is."""
    if not reply.attachments:
        return reply
    lines = [reply.text.strip()] if reply.text.strip() else []
    for attachment in reply.attachments:
        what = "Ảnh" if attachment.kind == "photo" else "Tệp"
        where = f": {attachment.url}" if attachment.url else ""
        lines.append(f"📎 {what} {Path(attachment.filename).name}{where}")
    return replace(reply, text="\n".join(lines))


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
