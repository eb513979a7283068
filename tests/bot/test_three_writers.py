"""Several processes write one SQLite file at once: two `ketnoi chat` (event registrations,
demands, the message log) and a `ketnoi import`. Nobody sees "database is locked": no apology,
no error, every action saved."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bot.app import APOLOGY
from tests.handlers.chat import copy_db, shared_nlu

ROOT = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).with_name("ketnoi")
ROWS = 400
SCRIPT = [
    "/start event_SK-001", "1", "Nguyễn Thị Lan", "0912345678", "bỏ qua",  # a registration
    # register and cancel again and again: a read (seats left) then a write, each time
    *["/start event_SK-002", "1", "1"] * 12,
    "cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu",
    "Công ty TNHH Minh Phát", "0912345678", "1", "1",  # a demand, confirmed
]


def catalog_file(path: Path) -> Path:
    lines = ["Mã;Tên công nghệ;Lĩnh vực;Điện thoại"]
    lines += [f"CN-W{n:04d};Máy sấy bơm nhiệt mẫu {n};agri_processing;0912345678"
              for n in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([str(EXE), *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=ROOT)


def test_two_chats_and_an_import_write_at_once(tmp_path: Path) -> None:
    url = copy_db(tmp_path / "ketnoi.db")
    shared_nlu()  # trained before the processes load it
    env = {**os.environ, "KETNOI_DATABASE_URL": url}
    # Hold the write lock while the three start, so they queue up and then write together.
    blocker = sqlite3.connect(tmp_path / "ketnoi.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    processes = [start(["import", "technologies", str(catalog_file(tmp_path / "cn.csv"))], env)]
    processes[0].stdin.close()  # type: ignore[union-attr]
    for user in ("w1", "w2"):
        process = start(["chat", "--user", user], env)
        assert process.stdin is not None
        process.stdin.write("\n".join(SCRIPT) + "\n")
        process.stdin.close()
        processes.append(process)
    time.sleep(2)  # setup, not a measurement: let the three reach the database
    blocker.execute("COMMIT")
    blocker.close()
    outcomes = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read())  # type: ignore[union-attr]
                for p in processes]
    for code, out, err in outcomes:
        assert code == 0 and "locked" not in err + out and "Traceback" not in err, err[-2000:]
    for _, out, _ in outcomes[1:]:
        assert APOLOGY not in out
        assert out.count("Em đã đăng ký cho anh/chị") == 13 and "nhu cầu số" in out
        assert out.count("Em đã hủy đăng ký") == 12
    with sqlite3.connect(tmp_path / "ketnoi.db") as check:
        imported = check.execute("select count(*) from technologies where code like 'CN-W%'")
        registered = check.execute(
            "select count(*) from event_registrations r join users u on u.id = r.user_id "
            "where u.external_id in ('w1', 'w2')")
        demands = check.execute(
            "select count(*) from demands d join users u on u.id = d.user_id "
            "where u.external_id in ('w1', 'w2')")
        logged = check.execute("select count(*) from message_log where chat_id in ('w1', 'w2') "
                               "and direction = 'in'")
        counts = [imported.fetchone()[0], registered.fetchone()[0], demands.fetchone()[0],
                  logged.fetchone()[0]]
    assert counts == [ROWS, 2, 2, 2 * len(SCRIPT)]
