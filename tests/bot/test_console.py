"""The console channel and `ketnoi demands`, driven like a user would (piped lines, a subprocess)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.config import get_settings
from bot.console import BYE, Console, run_console
from bot.types import Attachment, Button, ContentKind, Outgoing
from tests.handlers.chat import copy_db, fresh_app, shared_nlu

ROOT = Path(__file__).resolve().parents[2]
ACCEPTANCE_LINES = [
    "cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu",
    "Công ty TNHH Minh Phát",
    "0912345678",
    "1",  # "Đồng ý"
    "1",  # "Xác nhận"
]


@pytest.fixture
def db_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = copy_db(tmp_path / "ketnoi.db")
    shared_nlu()  # make sure the model is trained before the CLI loads it
    monkeypatch.setenv("KETNOI_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_piped_chat_then_demands_list_json(db_env: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["chat", "--user", "u1"], input="\n".join(ACCEPTANCE_LINES) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Bắc Giang (nay thuộc tỉnh Bắc Ninh)" in out
    assert out.count("> ") >= len(ACCEPTANCE_LINES)  # every line echoed and answered
    assert "tỉnh/thành phố nào" not in out  # never asked what the user already said
    assert "Công nghệ phù hợp" in out and "Chuyên gia có thể tư vấn" in out
    assert "Sự kiện sắp tới" in out and "1. Quan tâm" in out
    listed = runner.invoke(cli, ["demands", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    [demand] = json.loads(listed.output)
    assert demand["province"] == "Bắc Ninh" and demand["province_id"] == "bac_ninh"
    assert demand["product"] == "vải thiều" and demand["budget"] == 500_000_000
    assert demand["sector"] == "agri_processing" and demand["sector_name"]
    assert demand["contact"]["phone"] == "0912345678"
    assert demand["connection_point"]["name"].endswith("Bắc Ninh")
    assert demand["matches"]["technologies"] and demand["history"][0]["to"] == "new"
    shown = runner.invoke(cli, ["demands", "show", str(demand["id"])])
    assert json.loads(shown.output)["organisation"] == "Công ty TNHH Minh Phát"
    table = runner.invoke(cli, ["demands", "list", "--status", "new"])
    assert "vải thiều" in table.output and "500.000.000" in table.output


def test_demands_commands_errors(db_env: str) -> None:
    runner = CliRunner()
    empty = runner.invoke(cli, ["demands", "list"])
    assert empty.exit_code == 0 and "Chưa có yêu cầu nào trong cơ sở dữ liệu" in empty.output
    assert runner.invoke(cli, ["demands", "list", "--status", "bogus"]).exit_code == 2
    missing = runner.invoke(cli, ["demands", "show", "999"])
    assert missing.exit_code == 1


def test_real_ketnoi_chat_process_piped(db_env: str) -> None:
    """`printf '...' | ketnoi chat --user u1` in a real process, then `ketnoi demands list`."""
    env = {**os.environ, "KETNOI_DATABASE_URL": db_env}
    exe = Path(sys.executable).with_name("ketnoi")
    chat = subprocess.run([str(exe), "chat", "--user", "u1"], input="\n".join(ACCEPTANCE_LINES),
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert chat.returncode == 0, chat.stderr
    assert "nhu cầu số 1" in chat.stdout
    listed = subprocess.run([str(exe), "demands", "list", "--json"], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=300)
    [demand] = json.loads(listed.stdout)
    assert (demand["province"], demand["budget"]) == ("Bắc Ninh", 500_000_000)


def test_render_numbers_buttons_across_replies_and_lines_say_so() -> None:
    console = Console(app=None, user_id="u1")  # type: ignore[arg-type]
    replies = [Outgoing("A", (Button("Có", "x:yes"), Button("Không", "x:no"))),
               Outgoing("B", (Button("Gặp cán bộ", "menu:human_handoff"),))]
    rendered = Console.render(replies)
    assert "1. Có" in rendered and "3. Gặp cán bộ" in rendered
    typed = console.incoming("3")  # the core maps the number to the button (tests/handlers)
    assert (typed.kind, typed.text, typed.numbered) == (ContentKind.TEXT, "3", True)
    assert console.incoming("/help").kind == ContentKind.COMMAND
    assert console.incoming("500 triệu").text == "500 triệu"


async def test_files_are_saved_and_their_paths_shown(tmp_path: Path) -> None:
    class Core:
        async def handle(self, _incoming: object) -> list[Outgoing]:
            return [Outgoing("Báo cáo năm nay:", attachments=(
                Attachment("photo", "baocao.png", b"png-bytes"),
                Attachment("document", "../baocao.xlsx", b"xlsx-bytes"),
                Attachment("photo", "link.png", url="https://ketnoi.example/r/x.png")))]

    console = Console(app=Core(), user_id="u1", files_dir=tmp_path / "files")  # type: ignore[arg-type]
    rendered = Console.render(await console.send("/baocao"))
    assert (tmp_path / "files" / "baocao.png").read_bytes() == b"png-bytes"
    assert (tmp_path / "files" / "baocao.xlsx").read_bytes() == b"xlsx-bytes"  # no "../"
    assert f"📎 Ảnh baocao.png: {tmp_path / 'files' / 'baocao.png'}" in rendered
    assert f"📎 Tệp baocao.xlsx: {tmp_path / 'files' / 'baocao.xlsx'}" in rendered
    assert "📎 Ảnh link.png: https://ketnoi.example/r/x.png" in rendered


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stop", [EOFError, KeyboardInterrupt])
def test_interactive_session_leaves_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            stop: type[BaseException]) -> None:
    typed = iter(["xin chào", "", "2"])

    def fake_input(prompt: str = "") -> str:
        try:
            return next(typed)
        except StopIteration:
            raise stop from None

    monkeypatch.setattr("builtins.input", fake_input)
    out = io.StringIO()
    run_console(lambda: fresh_app(tmp_path), "tty-user", "Lan", stdin=FakeTty(), stdout=out)
    text = out.getvalue()
    assert "Gõ tin nhắn" in text and "em chào anh/chị Lan" in text  # greeted at start
    assert "1. Tìm công nghệ" in text
    assert "chuyên gia tư vấn về vấn đề gì" in text  # "2" pressed "Tìm chuyên gia"
    assert text.rstrip().endswith(BYE)


def test_invalid_utf8_on_stdin_is_answered_and_logged(db_env: str) -> None:
    """Bytes that are not UTF-8 (a file saved in Windows-1258) are replaced, not a traceback."""
    env = {**os.environ, "KETNOI_DATABASE_URL": db_env}
    exe = Path(sys.executable).with_name("ketnoi")
    lines = b"xin ch\xe0o\n\xff\xfe c\xe1n c\xf4ng ngh\xea\nc\xe1m \xf4n\n"
    chat = subprocess.run([str(exe), "chat", "--user", "u-bytes"], input=lines,
                          capture_output=True, env=env, cwd=ROOT, timeout=300)
    assert chat.returncode == 0 and b"Traceback" not in chat.stderr, chat.stderr
    out = chat.stdout.decode("utf-8")
    assert out.count("> ") == 3 and "\ufffd" in out

    import sqlite3

    with sqlite3.connect(db_env.split(":///", 1)[1]) as conn:
        log = conn.execute("select direction, text from message_log where chat_id = 'u-bytes' "
                           "order by id").fetchall()
    incoming = [text for direction, text in log if direction == "in"]
    assert len(incoming) == 3 and incoming[1].startswith("\ufffd\ufffd c\ufffdn")
    assert [d for d, _ in log].count("out") >= 3


def test_start_says_which_database_and_trains_only_when_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli_chat import starting_lines
    from bot.config import Settings
    from bot.console import TRAINING
    from nlu.api import default_model_dir

    shared_nlu()  # a trained model in the default folder
    trained = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/k.db",
                       nlu_model_dir=default_model_dir())
    [opening] = starting_lines(trained)
    assert str(tmp_path / "k.db") in opening
    untrained = Settings(database_url="sqlite+aiosqlite:///k.db", nlu_model_dir=tmp_path / "m")
    lines = starting_lines(untrained)
    assert lines[1] == TRAINING and "huấn luyện" in TRAINING
    monkeypatch.chdir(tmp_path)
    assert str(tmp_path / "k.db") in starting_lines(untrained)[0]  # resolved, absolute


def test_default_database_does_not_depend_on_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.config import Settings

    monkeypatch.delenv("KETNOI_DATABASE_URL", raising=False)
    here = Settings().database_url
    monkeypatch.chdir(tmp_path)
    assert Settings().database_url == here
    path = Path(here.split(":///", 1)[1])
    assert path.is_absolute() and path.name == "ketnoi.db"


def test_help_and_empty_list_say_which_database(db_env: str, tmp_path: Path) -> None:
    env = {**os.environ, "KETNOI_DATABASE_URL": db_env, "COLUMNS": "200"}
    exe = Path(sys.executable).with_name("ketnoi")
    where = db_env.split(":///", 1)[1]
    shown = subprocess.run([str(exe), "--help"], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=120)
    def squeezed(text: str) -> str:  # the help box wraps long paths
        return "".join(ch for ch in text if not ch.isspace() and ch != "│")

    assert squeezed(f"database: SQLite {where}") in squeezed(shown.stdout)
    empty = CliRunner().invoke(cli, ["demands", "list"])
    assert empty.exit_code == 0 and f"trong cơ sở dữ liệu SQLite {where}" in empty.output
