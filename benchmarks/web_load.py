"""Load figures for the web chat: N requests with concurrency C to ``POST /api/chat`` on a running serve.

Not a test: numbers for the record. Each simulated resident asks one question and then presses
下一页 on its answer, as residents do; residents are distinct so the per-resident flood gate never
fires. Start the server with ``BOT_WEB_IP_LIMIT=off`` (all requests come from one address), e.g.

    BOT_WEB_IP_LIMIT=off python run_bot.py serve --port 8080
    python benchmarks/web_load.py --url http://127.0.0.1:8080 -n 2000 -c 20
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
from dataclasses import dataclass, field

import httpx

QUESTIONS = ("哪里可以猜灯谜?", "哪里可以写春联?", "元宵节有什么活动?", "怎么在手机上信访?", "书法")


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def resident(client: httpx.AsyncClient, number: int, tally: Tally, budget: asyncio.Semaphore) -> None:
    """One question, then 下一页 on it when the answer has one (two requests at most)."""
    me = f"load-{secrets.token_urlsafe(12)}"
    reply = await _post(client, {"text": QUESTIONS[number % len(QUESTIONS)], "resident": me}, tally, budget)
    if reply and any(a["type"] == "next_page" for a in reply.get("actions", [])):
        action = {"type": "next_page", "value": 1}
        await _post(client, {"action": action, "ref": reply["ref"], "resident": me}, tally, budget)


async def _post(
    client: httpx.AsyncClient, body: dict, tally: Tally, budget: asyncio.Semaphore
) -> dict | None:
    async with budget:
        started = time.perf_counter()
        try:
            response = await client.post("/api/chat", json=body)
        except httpx.HTTPError as exc:
            tally.error(type(exc).__name__)
            return None
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)
    if response.status_code != 200:
        tally.error(str(response.status_code))
        return None
    return response.json()


async def run(url: str, requests: int, concurrency: int) -> None:
    tally = Tally()
    budget = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30, trust_env=False) as client:
        await _post(client, {"text": "你好", "resident": "load-warm-up-000000"}, Tally(), budget)
        started = time.perf_counter()
        await asyncio.gather(*(resident(client, n, tally, budget) for n in range(requests // 2)))
        elapsed = time.perf_counter() - started
    done = len(tally.latencies_ms)
    cuts = statistics.quantiles(tally.latencies_ms, n=100) if done > 1 else [0.0] * 99
    errors = sum(tally.errors.values())
    print(
        f"{done} requests, concurrency {concurrency}: {done / elapsed:.0f} req/s, "
        f"p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms, errors {errors} {tally.errors or ''}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("-n", "--requests", type=int, default=2000)
    parser.add_argument("-c", "--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.requests, args.concurrency))


if __name__ == "__main__":
    main()
