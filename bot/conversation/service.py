"""One conversation service for every channel: state, order, flood control, de-duplication, the log.

A channel turns what a resident sent into an :data:`Incoming` (a :class:`Message`, or a
:class:`Pressed` button: a typed action, never words to parse again), calls
:meth:`Conversation.handle`, and renders the :class:`~bot.engine.reply.Reply` it gets back.
Everything else — the resident's dialogue state in the state store, one resident's messages
in order while different residents are answered in parallel, flood control, answering a
retried message once, the unanswered log, who is an admin — happens here, once.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from bot.conversation.flood import FloodGate
from bot.conversation.limits import (
    LOCKS_KEPT,
    RETRY_WAIT_SECONDS,
    SEEN_TTL_SECONDS,
)
from bot.engine import Engine
from bot.engine.dialogue import DialogueState
from bot.engine.reply import Action, Reply, plain_reply, reply_from_state, reply_to_state
from bot.state.base import StateStore
from bot.wording import SLOW_DOWN, SORRY

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)
L = TypeVar("L", threading.Lock, "asyncio.Lock")

DIALOGUE = "dialogue"  # namespace of residents' DialogueState
MEMO = "memo"  # what a sent reply's buttons act on, by the reply's ref
SEEN = "seen"  # message ids already claimed by a worker
ANSWERS = "answers"  # the reply to a claimed message id, for its retries


@dataclass(frozen=True)
class Message:
    """Words a resident typed; ``id`` is the channel's message id when it may be delivered twice."""

    text: str
    id: str | None = None


@dataclass(frozen=True)
class Pressed:
    """A button or chip: the action of a reply the service sent, and that reply's ``ref``."""

    action: Action
    ref: str = ""


Incoming = Message | Pressed


@dataclass
class Stats:
    """Counters since this process started, for admins' /stats and the web /metrics."""

    started: float = field(default_factory=time.monotonic)
    messages: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    slowed: int = 0
    errors: int = 0


class Conversation:
    """Answers residents of every channel from one engine and one state store."""

    def __init__(
        self,
        engine: Engine,
        store: StateStore,
        *,
        flood: FloodGate | None = None,
        admins: frozenset[str] = frozenset(),
        ttl: float | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.flood = flood
        self.admins = admins  # "channel:user" ids
        self.ttl = ttl
        self.stats = Stats()
        self._locks: OrderedDict[str, threading.Lock] = OrderedDict()
        self._async_locks: OrderedDict[str, asyncio.Lock] = OrderedDict()
        self._guard = threading.Lock()

    # -- the one entry point ----------------------------------------------------------------------

    def handle(self, channel: str, user: str, incoming: Incoming) -> Reply:
        """The reply to one message or button of one resident (thread-safe, in order per resident)."""
        resident = f"{channel}:{user}"
        verdict = self.flood.check(resident) if self.flood else "pass"
        if verdict == "warn":
            self.stats.slowed += 1
            return plain_reply("fallback", "slow_down", SLOW_DOWN)
        if verdict == "drop":
            return plain_reply("fallback", "ignored", "")
        if isinstance(incoming, Message) and incoming.id is not None:
            return self._once(resident, incoming)
        with self._lock(resident):
            return self._answer(resident, incoming)

    async def handle_async(self, channel: str, user: str, incoming: Incoming) -> Reply:
        """:meth:`handle` for event loops: the engine runs in a thread; one resident waits in line."""
        resident = f"{channel}:{user}"
        async with self._async_lock(resident):
            import asyncio  # here: the console and `ask` never need an event loop (~10 ms of start-up)

            return await asyncio.to_thread(self.handle, channel, user, incoming)

    def is_admin(self, channel: str, user: str) -> bool:
        return f"{channel}:{user}" in self.admins

    def state(self, channel: str, user: str) -> DialogueState:
        """The resident's dialogue as stored (a fresh one when none is, or it cannot be read)."""
        return DialogueState.from_json(self.store.get(DIALOGUE, f"{channel}:{user}") or {})

    # -- inside ------------------------------------------------------------------------------------

    def _once(self, resident: str, message: Message) -> Reply:
        """A message delivered again (WeChat retries, a replayed update) is answered once, the same way."""
        key = f"{resident}:{message.id}"
        try:
            first = self.store.claim(SEEN, key, SEEN_TTL_SECONDS)
        except Exception as exc:  # a store that cannot write: answer, even if a retry is answered twice
            log.warning("state store: claim not saved (%s: %s)", type(exc).__name__, exc)
            first = True
        if not first:
            stored = self.store.wait_for(ANSWERS, key, RETRY_WAIT_SECONDS)
            if stored is None:
                return plain_reply("fallback", "ignored", "")
            return reply_from_state(stored)
        with self._lock(resident):
            return self._answer(resident, message, (ANSWERS, key, SEEN_TTL_SECONDS))

    def _answer(
        self, resident: str, incoming: Incoming, answer_key: tuple[str, str, float] | None = None
    ) -> Reply:
        """The reply; what it leaves behind (the resident's dialogue, the memo behind its buttons and,
        with ``answer_key``, the reply itself for retries) is written in one batch (one SQLite commit
        instead of three) after the engine has answered. Without that memo the reply has no buttons'
        ref."""
        self.stats.messages += 1
        state = DialogueState.from_json(self.store.get(DIALOGUE, resident) or {})
        try:
            if isinstance(incoming, Pressed):
                self._recall(incoming.ref, state)
                reply = self.engine.act(state, incoming.action)
            else:
                reply = self.engine.answer(incoming.text, state)
                self.engine.log_unanswered(resident, incoming.text, reply)
        except Exception:
            self.stats.errors += 1
            log.exception("a message could not be answered")
            return plain_reply("fallback", "error", SORRY)
        if reply.passage:
            state.passage = reply.passage
        self.stats.kinds[reply.kind] += 1
        ref = secrets.token_urlsafe(6) if reply.actions else ""
        if ref:
            reply = reply.with_(ref=ref)
        writes: list[tuple[str, str, Any, float | None]] = [(DIALOGUE, resident, state.to_json(), self.ttl)]
        if ref:
            writes.append((MEMO, ref, self._memo(state, reply), self.ttl))
        if answer_key is not None:
            namespace, key, ttl = answer_key
            writes.append((namespace, key, reply_to_state(reply), ttl))
        if self._save_all(writes) or not ref:
            return reply
        return reply.with_(ref="")

    def _save_all(self, writes: list[tuple[str, str, Any, float | None]]) -> bool:
        """Write together; a store that cannot write (a full disk, Redis gone) costs the resident the
        context of a follow-up, never the answer, and the operator gets one line per failure."""
        try:
            with self.store.batch():
                for namespace, key, value, ttl in writes:
                    self.store.put(namespace, key, value, ttl)
        except Exception as exc:
            self.stats.errors += 1
            names = ", ".join(sorted({namespace for namespace, *_ in writes}))
            log.warning("state store: %s not saved (%s: %s)", names, type(exc).__name__, exc)
            return False
        return True

    @staticmethod
    def _memo(state: DialogueState, reply: Reply) -> dict[str, Any]:
        """What the reply's buttons act on, so a press on an older message still works."""
        memo: dict[str, Any] = {"query": None, "choices": [c.to_json() for c in state.choices]}
        if reply.kind == "events" and state.query is not None:
            memo["query"] = state.query.to_json()
        return memo

    def _recall(self, ref: str, state: DialogueState) -> None:
        """Point the state at the list or choices of the reply whose button was pressed."""
        if not ref:
            return
        memo = self.store.get(MEMO, ref)
        if not isinstance(memo, dict):
            return
        older = DialogueState.from_json(memo)
        if older.query is not None:
            state.query = older.query
        if older.choices:
            state.choices = older.choices

    def _lock(self, resident: str) -> threading.Lock:
        with self._guard:
            return _recent(self._locks, resident, threading.Lock)

    def _async_lock(self, resident: str) -> asyncio.Lock:
        import asyncio

        return _recent(self._async_locks, resident, asyncio.Lock)


def _recent(locks: OrderedDict[str, L], resident: str, make: Callable[[], L]) -> L:
    """The resident's lock, made on first use; idle locks beyond LOCKS_KEPT are forgotten, oldest first."""
    lock = locks.pop(resident, None) or make()
    locks[resident] = lock
    while len(locks) > LOCKS_KEPT:
        oldest, held = next(iter(locks.items()))
        if held.locked():
            break
        del locks[oldest]
    return lock
