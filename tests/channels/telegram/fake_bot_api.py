"""The fake Bot API moved to ``benchmarks/fake_bot_api.py`` (tests and benchmarks share it); this
name stays for ``benchmarks/bench.py``, which loads it by path."""

from benchmarks.fake_bot_api import *  # noqa: F403
from benchmarks.fake_bot_api import FakeBotAPI, FakeRequest, callback_update, message_update

__all__ = ["FakeBotAPI", "FakeRequest", "callback_update", "message_update"]
