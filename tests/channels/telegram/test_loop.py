"""The Telegram bot's event loop: uvloop where it is installed."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.telegram.app import use_uvloop


def test_run_polling_gets_uvloop_where_installed() -> None:
    uvloop = pytest.importorskip("uvloop")
    before = asyncio.get_event_loop_policy()
    try:
        use_uvloop()
        policy = asyncio.get_event_loop_policy()
        assert isinstance(policy, uvloop.EventLoopPolicy)
        loop = policy.new_event_loop()
        try:
            assert loop.run_until_complete(asyncio.sleep(0, result="ran")) == "ran"
        finally:
            loop.close()
    finally:
        asyncio.set_event_loop_policy(before)
