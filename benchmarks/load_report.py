"""The load test's checks and table: each chat's replies against the dialogue run alone.

A reply of the reference that never came is lost (a step with no reply at all is also
"silent"); the same reply (text and buttons) sent twice to a chat is a duplicate; replies of a
chat in another order are out of order; "resent" is what the workers' logs (at INFO) say a
process sent for one that died: at its restart, or by the sweep of replies left unsent. A
duplicate with a kill between (or just before) its two sends is counted
apart ("dup@kill"): the process was killed after Telegram took the reply and before it
recorded it as sent, the at-least-once instant of docs/architecture.md.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.load_driver import ChatRecord, Telegram, same

APOLOGY = "đang gặp sự cố"


@dataclass
class Findings:
    updates: int = 0
    lost: int = 0  # replies of the reference dialogue that never came
    duplicates: int = 0  # the same reply (text and buttons) sent twice to a chat
    resent: int = 0  # replies sent again at a worker's restart (killed between send and mark)
    silent: int = 0  # steps that got no reply at all
    across_kill: int = 0  # duplicates with a kill between (or just before) the two sends
    out_of_order: int = 0  # chats whose replies came in another order
    errors: int = 0  # webhook posts never accepted, apologies for a failure
    differing: int = 0  # chats with a reply the reference does not have (content, not timing)

    def key(self) -> tuple[int, int, int, int]:
        return (self.lost, self.duplicates, self.out_of_order, self.differing)


def check(record: ChatRecord, reference: list[list[str]], found: Findings,
          seen: Counter[str]) -> None:
    """Compare one chat's replies with the reference dialogue's, over the whole chat (a reply that
    comes late, in the next step's window, is late, not lost)."""
    found.errors += record.failed_posts
    got = [t for window in record.windows for t in window]
    found.errors += sum(1 for t in got if APOLOGY in t)
    got_n, want = same(got), [t for step in reference for t in same(step)]
    extra, missing = Counter(got_n) - Counter(want), Counter(want) - Counter(got_n)
    found.lost += sum(missing.values())
    found.duplicates += sum(n - 1 for n in seen.values() if n > 1)
    found.silent += sum(1 for window in record.windows if not window)
    if any(t not in want for t in extra):
        found.differing += 1
    budget, kept = Counter(want), []
    for t in got_n:  # each expected reply once, in the order it came
        if budget[t] > 0:
            kept.append(t)
            budget[t] -= 1
    if not missing and kept != want:
        found.out_of_order += 1


def show(chat_id: int, record: ChatRecord, reference: list[list[str]]) -> None:
    """One chat that went wrong: its replies per step against the reference's."""
    print(f"-- chat {chat_id} ({record.scenario}): got / expected")
    for got, want in zip(record.windows, reference, strict=True):
        print(f"   {[t[:50] for t in got]}\n   {[t[:50] for t in want]}")
    got_n = same([t for window in record.windows for t in window])
    want_n = [t for step in reference for t in same(step)]
    print(f"   missing: {[t[:80] for t in (Counter(want_n) - Counter(got_n))]}")


def resent_replies(log: Path) -> int:
    """Replies the workers' logs say a process sent for another that died: at its restart
    (`bot.intake.resume`) or by the sweep of replies left unsent (logged at INFO)."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return 0
    found = re.findall(
        r"resumed (\d+) unsent replies|sent (\d+) replies another process left unsent", text)
    return sum(int(at_start or swept) for at_start, swept in found)


def dump_calls(tg: Telegram, kills: list[float], path: Path) -> None:
    """The fake's record and the kills, in wall-clock time as in the workers' logs (to trace a
    chat that went wrong)."""
    offset = time.time() - time.monotonic()
    with path.open("w") as out:
        for at in kills:
            out.write(json.dumps({"at": at + offset, "kill": True}) + "\n")
        for at, method, chat, status, _id, text, _markup, _key in tg.calls or []:
            out.write(json.dumps({"at": at + offset, "method": method, "chat": chat,
                                  "status": status, "text": (text or "")[:60]},
                                 ensure_ascii=False) + "\n")


async def print_metrics(url: str) -> None:
    """The bot's own view (`/metrics`): how long the core took per update, by bucket."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    async with httpx.AsyncClient() as client:
        body = (await client.get(f"{url}/metrics")).text
    for family in text_string_to_metric_families(body):
        if family.name in ("ketnoi_reply_seconds", "ketnoi_nlu_parse_seconds"):
            buckets = [(s.labels["le"], s.value) for s in family.samples
                       if s.name.endswith("_bucket")]
            print(f"  {family.name}: " + ", ".join(f"≤{le}s {v:.0f}" for le, v in buckets))


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (f"{'setup':<9}{'chats':>6}{'updates':>8}{'msg/s':>7}{'p50 ms':>8}{'p95 ms':>8}"
            f"{'p99 ms':>8}{'errors':>7}{'dup':>5}{'resent':>7}{'order':>6}{'lost':>5}"
            f"{'silent':>7}{'differ':>7}"
            f"{'CPU ms/msg':>11}{'driver ms':>10}{'kills':>6}{'dup@kill':>9}")
    print(head)
    print("-" * len(head))
    for r in rows:
        f: Findings = r["found"]
        print(f"{r['setup']:<9}{r['chats']:>6}{r['updates']:>8}{r['rate']:>7.1f}{r['p50']:>8.1f}"
              f"{r['p95']:>8.1f}{r['p99']:>8.1f}{f.errors:>7}{f.duplicates:>5}{f.resent:>7}"
              f"{f.out_of_order:>6}{f.lost:>5}{f.silent:>7}{f.differing:>7}{r['cpu']:>11.2f}"
              f"{sum(r['driver_cpu']):>10.2f}"
              f"{r['kills']:>6}{f.across_kill:>9}")
    for r in rows:
        users, api = r["driver_cpu"]
        print(f"{r['setup']} × {r['chats']}, per message: the driver's CPU {users:.2f} ms playing "
              f"the users and posting the webhook, {api:.2f} ms answering as the Bot API; the "
              f"bot's threads waited {r['bot_waiting']:.1f} ms for a CPU")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          f"(the machine is shared: latencies include waiting for a CPU)")
