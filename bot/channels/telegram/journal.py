"""Updates survive a crash, and one unreadable update cannot stop the bot.

PTB confirms fetched updates to Telegram with the *next* getUpdates, long before they are
answered, so a ``kill -9`` used to lose every update in the queue. :class:`IntakeRequest`
wraps the getUpdates request: each update is written to the state store's journal before
the Updater can ask for more (and so before Telegram hears it was received); the update
processor marks it answered once its handlers have replied; at start the journalled but
unanswered updates are answered first. That is at-least-once; the update id is the message
id the conversation service de-duplicates by, and an "answered" marker keeps a redelivered
update from being answered again.

The same wrapper disarms poison: PTB parses a whole getUpdates batch at once, so one update
it cannot read made the batch fail, come back on every poll, and log the sender's message at
CRITICAL each time. Such an update is logged once by id and replaced by an empty update
with the same id, so the Updater confirms it and moves on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.conversation.service import ANSWERS, SEEN
from bot.state.base import StateStore

from .limits import ANSWERED_TTL_SECONDS, POISON_IDS_KEPT
from .wrapping import WrappingRequest

log = logging.getLogger(__name__)

STREAM = "telegram"  # the journal stream of fetched updates
ANSWERED = "telegram-answered"  # update ids whose handlers have finished
SKIPPED = "skipped"  # key in an empty stand-in update's api_kwargs: why the real one was not handled


def stand_in(update_id: int, why: str) -> dict[str, Any]:
    """An update with nothing in it: no handler runs, yet the Updater confirms its id."""
    return {"update_id": update_id, SKIPPED: why}


def is_stand_in(update: object) -> bool:
    return isinstance(update, Update) and SKIPPED in (update.api_kwargs or {})


def sender(raw: dict[str, Any]) -> int | None:
    """The user id of a raw message or button press, if there is one."""
    for part in ("message", "callback_query"):
        body = raw.get(part)
        if isinstance(body, dict) and isinstance(body.get("from"), dict):
            user = body["from"].get("id")
            return user if isinstance(user, int) else None
    return None


class UpdateJournal:
    """Which updates are taken, in flight and answered; the store keeps it across restarts."""

    def __init__(self, store: StateStore, channel: str = "telegram") -> None:
        self.store = store
        self.channel = channel
        self._in_flight: set[int] = set()
        self._poison: OrderedDict[int, None] = OrderedDict()

    def admit(self, raw: dict[str, Any]) -> bool:
        """Journal a fetched update; False when it is in flight here or was answered already."""
        update_id = raw["update_id"]
        if update_id in self._in_flight or self.store.get(ANSWERED, str(update_id)) is not None:
            return False
        self.store.journal_add(STREAM, str(update_id), raw)
        self._in_flight.add(update_id)
        return True

    def admit_all(self, raws: list[dict[str, Any]]) -> list[bool]:
        """:meth:`admit` for each of a getUpdates answer, in one commit; if it fails none is in flight
        (so PTB's retry of the same getUpdates finds them new)."""
        results: list[bool] = []
        try:
            with self.store.batch():
                for raw in raws:
                    results.append(self.admit(raw))
        except BaseException:
            self._in_flight.difference_update(
                raw["update_id"] for raw, ok in zip(raws, results, strict=False) if ok
            )
            raise
        return results

    def poisoned(self, update_id: int, error: BaseException) -> None:
        """Log an update the library cannot read, once (its id and the error's type: no personal data)."""
        if update_id in self._poison:
            return
        self._poison[update_id] = None
        while len(self._poison) > POISON_IDS_KEPT:
            self._poison.popitem(last=False)
        log.error("update %s cannot be read (%s); skipped", update_id, type(error).__name__)

    def unanswered(self) -> list[dict[str, Any]]:
        """Journalled updates no handler finished (the process died): to answer first at start.

        A message whose answer was never stored had its de-duplication claim orphaned by the
        crash; the claim is released so the replay is answered, not ignored as a duplicate."""
        pending: list[dict[str, Any]] = []
        for item_id, raw in self.store.journal_pending(STREAM):
            if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
                self.store.journal_done(STREAM, item_id)
                continue
            if self.store.get(ANSWERED, item_id) is not None or raw["update_id"] in self._in_flight:
                self.store.journal_done(STREAM, item_id)
                continue
            user = sender(raw)
            if user is not None and "message" in raw:
                key = f"{self.channel}:{user}:{item_id}"
                if self.store.get(ANSWERS, key) is None:
                    self.store.delete(SEEN, key)
            self._in_flight.add(raw["update_id"])
            pending.append(raw)
        return pending

    def answered(self, update_id: int) -> None:
        """The update's handlers are done: never answer it again, even if Telegram sends it again."""
        if update_id not in self._in_flight:
            return
        with self.store.batch():  # one commit: a kill cannot fall between the marker and the journal
            self.store.put(ANSWERED, str(update_id), True, ANSWERED_TTL_SECONDS)
            self.store.journal_done(STREAM, str(update_id))
        self._in_flight.discard(update_id)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)


class IntakeRequest(WrappingRequest):
    """The getUpdates request: every update journalled before the next poll confirms it; poison disarmed."""

    def __init__(self, inner: BaseRequest, journal: UpdateJournal) -> None:
        super().__init__(inner)
        self.journal = journal

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        status, body = await self.inner.do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,  # type: ignore[arg-type]
            write_timeout=write_timeout,  # type: ignore[arg-type]
            connect_timeout=connect_timeout,  # type: ignore[arg-type]
            pool_timeout=pool_timeout,  # type: ignore[arg-type]
        )
        if status != 200 or not url.lower().endswith("/getupdates"):
            return status, body
        try:
            payload = json.loads(body)
            updates = payload["result"]
        except (ValueError, TypeError, KeyError):
            return status, body  # PTB reports a malformed response itself
        if not isinstance(updates, list) or not updates:
            return status, body
        payload["result"] = await asyncio.to_thread(self._take, updates)
        return status, json.dumps(payload, ensure_ascii=False).encode()

    def _take(self, updates: list[Any]) -> list[dict[str, Any]]:
        """Each update checked, journalled or replaced by a stand-in; in a thread (store writes block).

        The whole answer is journalled in one commit (not one per update), still before the Updater
        can confirm any of it."""
        readable: list[tuple[dict[str, Any], bool]] = []  # each update, and whether the library reads it
        for raw in updates:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if not isinstance(update_id, int):
                log.error("an update without an id was dropped")
                continue
            try:
                Update.de_json(raw, None)
            except Exception as exc:  # whatever the library chokes on: the batch must go on
                self.journal.poisoned(update_id, exc)
                readable.append((raw, False))
                continue
            readable.append((raw, True))
        admitted = iter(self.journal.admit_all([raw for raw, ok in readable if ok]))
        return [
            (raw if next(admitted) else stand_in(raw["update_id"], "duplicate"))
            if ok
            else stand_in(raw["update_id"], "unreadable")
            for raw, ok in readable
        ]
