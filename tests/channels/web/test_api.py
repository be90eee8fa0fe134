"""The web API over HTTP (httpx on the ASGI app): answers, paging, 原文, and every way to be refused.

Flood control, as documented in README.md: a resident id over its limit gets one 200 with the
「请慢一点」 reply (kind fallback, intent slow_down) and then 429s; a client IP over its cap
gets 429 at once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bot import wording
from bot.channels.web import WebSettings, create_app, web_settings_from_environment
from bot.channels.web.config import WebConfigError
from bot.channels.web.limits import MAX_BODY_BYTES
from bot.conversation import Conversation
from bot.conversation.flood import FloodGate
from bot.engine import Engine
from bot.engine.reply import Offer, Reply, finished
from bot.state.memory import MemoryStore
from tests.channels.web.conftest import client_for

RESIDENT = "resident-aaaaaaaaaaaa"


async def ask(client: httpx.AsyncClient, text: str, resident: str = RESIDENT) -> dict[str, Any]:
    response = await client.post("/api/chat", json={"text": text, "resident": resident})
    assert response.status_code == 200, response.text
    return response.json()


async def press(client: httpx.AsyncClient, reply: dict[str, Any], kind: str, resident: str = RESIDENT):
    action = next(a for a in reply["actions"] if a["type"] == kind)
    body = {"action": {"type": kind, "value": action["value"]}, "ref": reply["ref"], "resident": resident}
    response = await client.post("/api/chat", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from the Prometheus text format (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if wanted else ''} (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


# -- answers -------------------------------------------------------------------------------------


async def test_a_question_gets_a_cited_answer(client: httpx.AsyncClient) -> None:
    reply = await ask(client, "哪里可以写春联?")
    assert reply["kind"] == "events"
    assert reply["citations"] and reply["source"].startswith("来源:《")
    assert "2020年" in reply["title"] and "已举办" in reply["title"]
    assert [i["type"] for i in reply["items"]] == ["event"] * len(reply["items"])
    assert reply["page"] == 0 and reply["pages"] > 1
    assert {"type": "next_page", "label": "下一页", "value": 1} in reply["actions"]
    assert reply["ref"]


async def test_next_page_by_action_continues_the_same_list(client: httpx.AsyncClient) -> None:
    first = await ask(client, "哪里可以猜灯谜?")
    second = await press(client, first, "next_page")
    assert second["page"] == 1 and second["events"] == first["events"]
    shown = [i["row"] for i in second["items"]]
    assert shown == first["events"][len(first["items"]) : len(first["items"]) + len(shown)]
    assert {a["type"] for a in second["actions"]} >= {"previous_page"}
    back = await press(client, second, "previous_page")
    assert [i["row"] for i in back["items"]] == [i["row"] for i in first["items"]]


async def test_an_older_reply_button_acts_on_its_own_list(client: httpx.AsyncClient) -> None:
    lanterns = await ask(client, "哪里可以猜灯谜?")
    await ask(client, "哪里可以写春联?")
    page = await press(client, lanterns, "next_page")
    assert page["events"] == lanterns["events"]


async def test_a_follow_up_keeps_the_topic(client: httpx.AsyncClient) -> None:
    await ask(client, "哪里可以猜灯谜?")
    reply = await ask(client, "那2月5日呢?")
    assert reply["kind"] == "events"
    assert all("2月5日" in i["when"] for i in reply["items"])


async def test_original_shows_the_whole_passage(client: httpx.AsyncClient) -> None:
    answer = await ask(client, "怎么在手机上信访?")
    assert answer["kind"] == "passages" and answer["citations"]
    original = await press(client, answer, "original")
    assert original["kind"] == "passages"
    assert answer["citations"][0]["quote"] in original["text"]


async def test_an_unknown_question_gets_a_fallback(client: httpx.AsyncClient) -> None:
    reply = await ask(client, "火星上有什么好吃的?")
    assert reply["kind"] == "fallback" and reply["citations"] == [] and reply["actions"] == []
    assert reply["text"]


# -- the resident id -------------------------------------------------------------------------------


async def test_the_cookie_keeps_the_conversation_without_a_resident_field(client: httpx.AsyncClient) -> None:
    first = await client.post("/api/chat", json={"text": "哪里可以猜灯谜?"})
    cookie = first.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert re.match(r"rid=[A-Za-z0-9_-]{16,64};", cookie)
    second = await client.post("/api/chat", json={"text": "下一页"})  # the client sends the cookie back
    assert second.json()["page"] == 1 and "set-cookie" not in second.headers


async def test_residents_are_apart(client: httpx.AsyncClient) -> None:
    await ask(client, "哪里可以猜灯谜?", resident="resident-one-aaaaaaaa")
    other = await ask(client, "下一页", resident="resident-two-bbbbbbbb")
    assert other["kind"] != "events" or other["page"] == 0


# -- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "bad_json"),
        (b"\xff\xfe\x00garbage", "bad_json"),
        (b"[1, 2]", "bad_json"),
        (b"[" * 5000 + b"]" * 5000, "bad_json"),
        (b"{}", "missing_fields"),
        (b'{"resident": "resident-aaaaaaaaaaaa"}', "missing_fields"),
        (b'{"text": "hi", "action": {"type": "next_page", "value": 1}}', "missing_fields"),
        (b'{"text": "   "}', "empty_text"),
        (b'{"text": 42}', "empty_text"),
        (b'{"text": "hi", "resident": "Zhang San"}', "bad_resident"),
        (b'{"text": "hi", "resident": "short"}', "bad_resident"),
        (b'{"action": {"type": "delete_everything", "value": 1}}', "unknown_action"),
        (b'{"action": "next_page"}', "bad_action"),
        (b'{"action": {"value": 1}}', "bad_action"),
        (b'{"action": {"type": "next_page", "value": "1"}}', "bad_action_value"),
        (b'{"action": {"type": "next_page", "value": true}}', "bad_action_value"),
        (b'{"action": {"type": "pick", "value": 99999999}}', "bad_action_value"),
        (b'{"action": {"type": "original", "value": 3}}', "bad_action_value"),
        (b'{"action": {"type": "next_page", "value": 1}, "ref": "../../etc"}', "bad_ref"),
    ],
)
async def test_bad_requests_get_400_with_a_json_error(
    client: httpx.AsyncClient, body: bytes, error: str
) -> None:
    response = await client.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == error and response.json()["message"]


async def test_an_oversized_body_gets_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/chat", json={"text": "春" * MAX_BODY_BYTES})
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert response.json()["message"] == wording.WEB_TOO_LONG


async def test_a_lying_content_length_still_gets_413(client: httpx.AsyncClient) -> None:
    body = b'{"text": "' + b"a" * (2 * MAX_BODY_BYTES) + b'"}'
    response = await client.post("/api/chat", content=body, headers={"Content-Length": "20"})
    assert response.status_code == 413


async def test_a_chunked_body_is_counted_too(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(40):
            yield b"a" * 1024
        yield b'"}'

    response = await client.post("/api/chat", content=chunks())
    assert response.status_code == 413


async def test_a_body_just_under_the_limit_is_read(client: httpx.AsyncClient) -> None:
    body = b'{"text": "' + b"a" * (MAX_BODY_BYTES - 20) + b'"}'
    response = await client.post("/api/chat", content=body)
    assert response.status_code == 200


async def test_a_non_numeric_content_length_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/chat", content=b'{"text": "hi"}', headers={"Content-Length": "abc"})
    assert response.status_code == 400


async def test_only_post_on_the_api(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/chat")).status_code == 405


async def test_a_flooding_resident_is_slowed_down_once_then_refused(
    make_app: Callable[..., Starlette],
) -> None:
    async with client_for(make_app(flood=FloodGate(3, 3600.0))) as client:
        for _ in range(3):
            await ask(client, "你好")
        slowed = await ask(client, "你好")
        assert slowed["intent"] == "slow_down" and slowed["text"] == wording.SLOW_DOWN
        refused = await client.post("/api/chat", json={"text": "你好", "resident": RESIDENT})
        assert refused.status_code == 429 and refused.json()["error"] == "too_many_requests"
        assert refused.headers["retry-after"]
        assert (await ask(client, "你好", resident="someone-else-cccccc"))["kind"] == "chitchat"
        metrics = (await client.get("/metrics")).text
        assert metric(metrics, "bot_web_rejected_total", reason="flood") == 1


async def test_one_ip_rotating_resident_ids_is_capped(make_app: Callable[..., Starlette]) -> None:
    async with client_for(make_app(ip_limit=(3, 3600.0))) as client:
        for n in range(3):
            await ask(client, "你好", resident=f"rotating-resident-{n:04d}")
        refused = await client.post("/api/chat", json={"text": "你好", "resident": "rotating-resident-9999"})
        assert refused.status_code == 429


# -- health, metrics, headers, errors ----------------------------------------------------------------


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


class BrokenStore(MemoryStore):
    def get(self, namespace: str, key: str) -> Any:
        raise ConnectionError("redis is down")


async def test_healthz_says_unavailable_when_the_store_fails(engine: Engine) -> None:
    async with client_for(create_app(Conversation(engine, BrokenStore()))) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503 and response.json() == {"status": "unavailable"}


async def test_metrics_counters_move(client: httpx.AsyncClient) -> None:
    before = (await client.get("/metrics")).text
    reply = await ask(client, "哪里可以猜灯谜?")
    await press(client, reply, "next_page")
    await ask(client, "火星上有什么好吃的?")
    await client.post("/api/chat", content=b"{bad")
    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    assert (
        metric(after, "bot_web_questions_total", type="text")
        == metric(before, "bot_web_questions_total", type="text") + 2
    )
    assert metric(after, "bot_web_questions_total", type="action") == 1
    assert metric(after, "bot_web_replies_total", kind="events") == 2
    assert (
        sum(float(v) for v in re.findall(r"^bot_web_fallbacks_total\{.*\} (\S+)$", after, re.MULTILINE)) == 1
    )
    assert metric(after, "bot_web_rejected_total", reason="bad_json") == 1
    assert metric(after, "bot_web_reply_seconds_count") == 3
    assert "bot_web_suggestions_total" in after


async def test_two_apps_keep_their_own_metrics(make_app: Callable[..., Starlette]) -> None:
    async with client_for(make_app()) as one, client_for(make_app()) as two:
        await ask(one, "你好")
        assert metric((await two.get("/metrics")).text, "bot_web_questions_total", type="text") == 0


@pytest.mark.parametrize("path", ["/", "/healthz", "/static/chat.js", "/nowhere"])
async def test_security_headers_on_every_response(client: httpx.AsyncClient, path: str) -> None:
    headers = (await client.get(path)).headers
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


async def test_frame_ancestors_is_configurable(make_app: Callable[..., Starlette]) -> None:
    async with client_for(make_app(frame_ancestors="'self' https://www.example.gov.cn")) as client:
        csp = (await client.get("/")).headers["content-security-policy"]
    assert csp.endswith("frame-ancestors 'self' https://www.example.gov.cn")


@pytest.mark.parametrize("value", ["*; script-src *", "https://a.cn,https://b.cn", "javascript:x", ""])
def test_a_malformed_frame_ancestors_is_refused(value: str) -> None:
    with pytest.raises(WebConfigError, match="BOT_WEB_FRAME_ANCESTORS"):
        WebSettings(frame_ancestors=value)


def test_settings_from_the_environment() -> None:
    settings = web_settings_from_environment(
        {
            "BOT_WEB_FRAME_ANCESTORS": "'self' https://*.zhengzhou.gov.cn",
            "BOT_WEB_MAX_BODY": "4096",
            "BOT_WEB_LOG_TEXT": "yes",
            "BOT_STATE_URL": "redis://127.0.0.1:6379/0",
        }
    )
    assert settings.frame_ancestors == "'self' https://*.zhengzhou.gov.cn"
    assert (settings.max_body, settings.log_text, settings.state_url) == (
        4096,
        True,
        "redis://127.0.0.1:6379/0",
    )
    assert web_settings_from_environment({}) == WebSettings()
    with pytest.raises(WebConfigError, match="BOT_WEB_MAX_BODY"):
        web_settings_from_environment({"BOT_WEB_MAX_BODY": "lots"})
    assert web_settings_from_environment({"BOT_WEB_IP_LIMIT": "30/60"}).ip_limit == (30, 60.0)
    assert web_settings_from_environment({"BOT_WEB_IP_LIMIT": "off"}).ip_limit is None
    with pytest.raises(WebConfigError, match="BOT_WEB_IP_LIMIT"):
        web_settings_from_environment({"BOT_WEB_IP_LIMIT": "many"})


class FailingConversation(Conversation):
    async def handle_async(self, channel: str, user: str, incoming: Any) -> Any:
        raise RuntimeError("secret detail in /srv/bot/engine.py line 42")


async def test_a_failure_is_a_json_500_without_a_stack_trace(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(FailingConversation(engine, MemoryStore()))
    async with client_for(app) as client:
        response = await client.post("/api/chat", json={"text": "你好"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal", "message": wording.SORRY}
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "secret detail" in caplog.text  # the traceback is in the server's log


# -- access log ------------------------------------------------------------------------------------


async def test_the_access_log_has_no_message_text(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.web.access"):
        await ask(client, "哪里可以写春联?")
    line = next(r.getMessage() for r in caplog.records if r.name == "bot.web.access")
    assert '"method": "POST"' in line and '"path": "/api/chat"' in line and '"status": 200' in line
    assert '"ms": ' in line and "春联" not in line


async def test_the_access_log_has_the_text_when_asked(
    make_app: Callable[..., Starlette], caplog: pytest.LogCaptureFixture
) -> None:
    async with client_for(make_app(log_text=True)) as client:
        with caplog.at_level(logging.INFO, logger="bot.web.access"):
            await ask(client, "哪里可以写春联?")
    assert any("春联" in r.getMessage() for r in caplog.records if r.name == "bot.web.access")


# -- the page and extra routes -------------------------------------------------------------------------


async def test_the_page_is_self_contained_and_accessible(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    assert '<html lang="zh-CN">' in page
    assert '<label for="question">' in page and 'id="question"' in page
    assert 'role="log"' in page and 'aria-live="polite"' in page
    for script in re.findall(r"<script[^>]*>", page):
        assert 'src="static/' in script or 'type="application/json"' in script
    assert "http://" not in page and "https://" not in page  # nothing from a CDN
    for question in wording.EXAMPLE_QUESTIONS:
        assert f'data-question="{question}"' in page
    for asset in ("/static/chat.js", "/static/chat.css"):
        assert (await client.get(asset)).status_code == 200


async def test_extra_routes_join_the_app(engine: Engine) -> None:
    async def hello(request: Any) -> PlainTextResponse:
        return PlainTextResponse("success")

    app = create_app(
        Conversation(engine, MemoryStore()), extra_routes=[Route("/wechat", hello, methods=["POST"])]
    )
    async with client_for(app) as client:
        response = await client.post("/wechat")
    assert response.text == "success" and "content-security-policy" in response.headers


class SuggestingConversation(Conversation):
    """Offers two choices whatever is asked (the shipped engine rarely needs to)."""

    async def handle_async(self, channel: str, user: str, incoming: Any) -> Reply:
        offers = (Offer(1, "元宵节猜灯谜", "events"), Offer(2, "手机信访", "passages"))
        return finished(Reply("suggestions", "suggest", title="您想问的是:", items=offers)).with_(
            ref="abc123"
        )


async def test_suggestions_come_as_offers_and_pick_actions(engine: Engine) -> None:
    async with client_for(create_app(SuggestingConversation(engine, MemoryStore()))) as client:
        reply = await ask(client, "灯")
        assert reply["offers"] == [
            {"label": "元宵节猜灯谜", "kind": "events"},
            {"label": "手机信访", "kind": "passages"},
        ]
        assert [(a["type"], a["value"]) for a in reply["actions"]] == [("pick", 1), ("pick", 2)]
        metrics = (await client.get("/metrics")).text
    assert metric(metrics, "bot_web_suggestions_total", kind="events") == 1
    assert metric(metrics, "bot_web_suggestions_total", kind="passages") == 1
