"""Two ``serve`` processes on one Redis: a resident may reach either, and the conversation goes on.

One process runs two uvicorn workers (the import-string factory), the other one worker, so
a request lands on any of three processes; only the shared store ties them together.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.channels.web.conftest import Server, start_serve
from tests.processes import stop
from tests.state.conftest import redis_url  # noqa: F401  (the session's own redis-server)

pytestmark = pytest.mark.slow
RESIDENT = "worker-test-resident-0001"


@pytest.fixture
def servers(redis_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:  # noqa: F811
    env = {"BOT_STATE_URL": redis_url}
    one = start_serve(tmp_path / "one", env)
    try:
        two = start_serve(tmp_path / "two", env, workers=2)
    except BaseException:
        stop(one.process)
        raise
    try:
        yield one, two
    finally:
        stop(one.process)
        stop(two.process)


def chat(server: Server, body: dict[str, object]) -> dict[str, Any]:
    response = httpx.post(f"{server.url}/api/chat", json={**body, "resident": RESIDENT}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_next_page_on_another_server_continues_the_list(servers: tuple[Server, Server]) -> None:
    one, two = servers
    first = chat(one, {"text": "哪里可以猜灯谜?"})
    assert first["kind"] == "events" and first["pages"] == 3
    second = chat(two, {"action": {"type": "next_page", "value": 1}, "ref": first["ref"]})
    assert second["page"] == 1 and second["events"] == first["events"]
    size = len(first["items"])
    assert [item["row"] for item in second["items"]] == first["events"][size : 2 * size]
    third = chat(one, {"text": "下一页"})  # typed: the dialogue state itself is shared
    assert third["page"] == 2 and third["events"] == first["events"]
