"""A load run of the Telegram bot for the record: 5,000 updates from 500 residents, one kill -9.

``python run_bot.py telegram`` runs as its own process (as in production) against the fake
Bot API on loopback (:mod:`benchmarks.fake_bot_api`, in this process), with an SQLite state
store in a temporary folder. All updates are queued at once; when about half are answered the
bot is killed with SIGKILL and started again. Every resident's replies are then compared with
what their own conversation calls for: lost, duplicated and misrouted replies are counted, and
throughput, latency and the bot's memory are reported. Not a test: nothing is asserted.

    python -m benchmarks.telegram_load [--residents 500] [--turns 10] [--out bench-results/telegram-load.json]
    python -m benchmarks.telegram_load --no-kill    # the same burst, no kill: what ``bench`` reports
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.fake_bot_api import FakeBotAPI, message_update
from bot import wording
from bot.channels.telegram.limits import CONCURRENT_UPDATES
from bot.channels.telegram.render import render_plain, render_reply
from bot.engine import ROOT, Engine
from bot.engine.dialogue import DialogueState

TOKEN = "424242:LOAD-run-token-not-secret"
FIRST_USER = 500_000
START_TIMEOUT = 60.0  # seconds for the bot to load its knowledge and poll
KILL_AT = 0.5  # the share of replies after which the bot is killed
BURST_TIMEOUT = 600.0  # seconds for a whole burst to be answered: far beyond any plausible run
SETTLE_SECONDS = 1.0  # after the last expected reply: a duplicate would still be arriving


def script(index: int, days: list[date]) -> list[str]:
    """One resident's messages: follow-ups and paging, so a leaked or replayed context shows."""
    activity = "猜灯谜" if index % 2 == 0 else "写春联"
    first, second = days[index % len(days)], days[(index * 7 + 3) % len(days)]
    return [
        f"哪里可以{activity}?",
        "那2月5日呢?",
        "下一页",
        f"那{first.month}月{first.day}日呢?",
        "/help",
        "怎么在手机上信访?",
        "元宵节有什么活动?",
        "上一页",
        f"{second.month}月{second.day}日有什么活动?",
        "今天天气怎么样?",
    ]


def expected(engine: Engine, messages: list[str]) -> list[str]:
    state = DialogueState()
    replies = []
    for text in messages:
        chunks = render_plain(wording.HELP) if text == "/help" else render_reply(engine.answer(text, state))
        replies.append("\n".join(chunks))
    return replies


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def start(api: FakeBotAPI, folder: Path, run: int) -> subprocess.Popen[bytes]:
    env_file = folder / "bot.env"
    env_file.write_text(
        f"TELEGRAM_BOT_TOKEN={api.token}\nTELEGRAM_BASE_URL={api.base_url}\n"
        f"BOT_STATE_URL=sqlite:///{folder / 'state.sqlite3'}\n"
        "BOT_RATE_LIMIT=off\nBOT_RATE_LIMITER=off\nBOT_WATCH_INTERVAL=0\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env["BOT_UNANSWERED_LOG"] = str(folder / "unanswered.jsonl")
    with (folder / f"run{run}.stderr").open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "run_bot.py", "telegram", "--env-file", str(env_file)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )


def polling(api: FakeBotAPI, after: int) -> None:
    api.wait_until_sync(lambda: len(api.calls("getUpdates")) > after, START_TIMEOUT, "the bot to poll")


@dataclass
class Burst:
    """Who sends what, in which order, and what each resident must get back."""

    users: list[int]
    scripts: dict[int, list[str]]
    wanted: dict[int, list[str]]
    order: list[int]  # the sender of each update, in the order they are queued

    @property
    def total(self) -> int:
        return len(self.order)


def burst(engine: Engine, residents: int, turns: int, seed: int = 2020) -> Burst:
    """``residents`` residents, ``turns`` messages each, shuffled: follow-ups sometimes right behind
    their question, sometimes far apart, so a context leaked or replayed out of order shows."""
    days = sorted({e.start for e in engine.brain.knowledge.events})
    users = [FIRST_USER + i for i in range(residents)]
    scripts = {u: script(i, days)[:turns] for i, u in enumerate(users)}
    cache: dict[tuple[str, ...], list[str]] = {}
    wanted = {u: cache.setdefault(tuple(s), expected(engine, s)) for u, s in scripts.items()}
    order = [u for u in users for _ in range(turns)]
    random.Random(seed).shuffle(order)
    return Burst(users, scripts, wanted, order)


def push_all(api: FakeBotAPI, plan: Burst) -> dict[int, float]:
    """Queue every update at once; the monotonic time each was offered, by update id."""
    pushed_at: dict[int, float] = {}
    turn: dict[int, int] = defaultdict(int)
    for user in plan.order:
        update_id = api.push(message_update(plan.scripts[user][turn[user]], user_id=user))
        turn[user] += 1
        pushed_at[update_id] = time.monotonic()
    return pushed_at


def tally(api: FakeBotAPI, plan: Burst) -> tuple[dict[str, int], dict[int, list[Any]]]:
    """Lost, duplicated, misrouted and wrong replies, and each resident's replies in order."""
    calls = [c for c in api.calls("sendMessage") if c.result is not None]
    by_chat: dict[int, list[Any]] = defaultdict(list)
    for call in calls:
        by_chat[call.params["chat_id"]].append(call)
    misrouted = sum(len(v) for k, v in by_chat.items() if k not in plan.scripts)
    lost = duplicated = wrong = 0
    for user in plan.users:
        matched = 0
        got = [c.params["text"] for c in by_chat[user]]
        for n, text in enumerate(got):
            if matched < len(plan.wanted[user]) and text == plan.wanted[user][matched]:
                matched += 1
            elif n > 0 and text == got[n - 1]:
                duplicated += 1  # the same reply again: resent after the restart
            else:
                wrong += 1
        lost += len(plan.wanted[user]) - matched
    counts = {
        "replies": len(calls),
        "lost": lost,
        "duplicated": duplicated,
        "misrouted": misrouted,
        "wrong_text": wrong,
    }
    return counts, by_chat


def latencies(
    plan: Burst, pushed_at: dict[int, float], by_chat: dict[int, list[Any]], before: float = float("inf")
) -> list[float]:
    """Seconds from each update offered to its reply (replies arriving before ``before`` only).

    Replies per resident come in order, so the n-th reply answers the resident's n-th update."""
    asked: dict[int, list[int]] = defaultdict(list)
    for update_id, user in zip(sorted(pushed_at), plan.order, strict=True):
        asked[user].append(update_id)
    return [
        call.at - pushed_at[asked[user][n]]
        for user in plan.users
        for n, call in enumerate(by_chat[user][: len(asked[user])])
        if call.at < before
    ]


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU of a process (or one of its threads), from /proc; 0.0 where there is none."""
    path = Path(f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat")
    try:
        fields = path.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(engine: Engine, residents: int, turns: int) -> dict[str, Any]:
    """One burst through ``run_bot.py telegram``, no kill: updates/s from the first update offered to
    the last reply received, latency percentiles, and where the CPU went (bot vs fake Bot API)."""
    plan = burst(engine, residents, turns)
    with tempfile.TemporaryDirectory() as tmp, FakeBotAPI(TOKEN) as api:
        folder = Path(tmp)
        bot = start(api, folder, 1)
        try:
            polling(api, 0)
            server = api.server_thread_id()
            bot_cpu, api_cpu = cpu_seconds(bot.pid), cpu_seconds(os.getpid(), server)
            began = time.monotonic()
            pushed_at = push_all(api, plan)
            api.wait_until_sync(lambda: api.sent_count() >= plan.total, BURST_TIMEOUT, "every reply")
            bot_cpu, api_cpu = cpu_seconds(bot.pid) - bot_cpu, cpu_seconds(os.getpid(), server) - api_cpu
            time.sleep(SETTLE_SECONDS)  # a duplicate would still be arriving: count it
            counts, by_chat = tally(api, plan)
            last = max(call.at for calls in by_chat.values() for call in calls)
            rss = rss_mb(bot.pid)
        finally:
            bot.send_signal(signal.SIGTERM)
            code = bot.wait(timeout=30)
    seconds = last - began
    waits = latencies(plan, pushed_at, by_chat)
    return {
        "measured": True,
        "updates": plan.total,
        "residents": residents,
        **counts,
        "seconds": round(seconds, 3),
        "updates_per_s": round(plan.total / seconds, 1),
        "latency_p50_s": round(statistics.median(waits), 3),
        "latency_p99_s": round(statistics.quantiles(waits, n=100)[-1], 3),
        "bot_cpu_s": round(bot_cpu, 2),
        "fake_api_cpu_s": round(api_cpu, 2),
        "bot_rss_mb": rss,
        "exit_code_after_sigterm": code,
        "how": "python run_bot.py telegram (own process, httpx, SQLite state store) against the fake Bot "
        "API on 127.0.0.1; every update queued at once; flood control and AIORateLimiter off",
        "note": "latency is from queueing the whole burst, so it measures the queue, not one reply",
    }


def run(residents: int, turns: int, between_sends: bool) -> dict[str, Any]:
    """The burst with a kill -9 when about half is answered, then a restart that answers the rest."""
    engine = Engine.load()
    plan = burst(engine, residents, turns)
    total = plan.total

    with tempfile.TemporaryDirectory() as tmp, FakeBotAPI(TOKEN) as api:
        folder = Path(tmp)
        bot = start(api, folder, 1)
        polling(api, 0)
        rss_start = rss_mb(bot.pid)
        began = time.monotonic()
        pushed_at = push_all(api, plan)
        api.wait_until_sync(lambda: api.sent_count() >= total * KILL_AT, 600, "half the replies")
        first_run = time.monotonic() - began
        answered_first = api.sent_count()
        rss_before_kill = rss_mb(bot.pid)
        if between_sends:  # every worker stuck in a send Telegram never gets: none half-done
            api.hold("sendMessage")
            api.wait_until_sync(lambda: api.held() >= CONCURRENT_UPDATES, 60, "every worker in a send")
        bot.send_signal(signal.SIGKILL)
        bot.wait()
        api.release(deliver=False)
        killed_at = time.monotonic()
        polls = len(api.calls("getUpdates"))
        bot = start(api, folder, 2)
        polling(api, polls)
        restarted = time.monotonic()
        api.wait_until_sync(lambda: api.sent_count() >= total, 600, "every reply")
        time.sleep(SETTLE_SECONDS)
        done = time.monotonic()
        rss_end = rss_mb(bot.pid)
        bot.send_signal(signal.SIGTERM)
        code = bot.wait(timeout=30)

        counts, by_chat = tally(api, plan)
        waits = latencies(plan, pushed_at, by_chat, before=killed_at)
        second_run = done - restarted - SETTLE_SECONDS
        return {
            "updates": total,
            "residents": residents,
            **counts,
            "answered_before_kill": answered_first,
            "first_run_updates_per_s": round(answered_first / first_run, 1),
            "after_restart_updates_per_s": round((counts["replies"] - answered_first) / second_run, 1),
            "restart_seconds": round(restarted - killed_at, 1),
            "latency_p50_s": round(statistics.median(waits), 3),
            "latency_p95_s": round(statistics.quantiles(waits, n=20)[-1], 3),
            "rss_mb": {"first_run_start": rss_start, "before_kill": rss_before_kill, "end": rss_end},
            "exit_code_after_sigterm": code,
            "killed": "between sends (sends held, then dropped)" if between_sends else "at a random moment",
            "note": "latency is from queueing the whole burst, so it measures the queue, not one reply",
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=500)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument(
        "--between-sends",
        action="store_true",
        help="kill while every worker waits on a held send: a send Telegram accepted but the bot never"
        " heard back about is the one thing a restart repeats (at-least-once)",
    )
    parser.add_argument(
        "--no-kill",
        action="store_true",
        help="no kill -9: the burst answered by one process, as ``run_bot.py bench`` measures it",
    )
    parser.add_argument("--out", default=str(ROOT / "bench-results" / "telegram-load.json"))
    args = parser.parse_args(argv)
    if args.no_kill:
        figures = throughput(Engine.load(), args.residents, args.turns)
    else:
        figures = run(args.residents, args.turns, args.between_sends)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
