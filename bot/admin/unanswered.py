"""The questions the bot could not answer well, kept so admins see what to add next.

Each fallback or low-confidence answer becomes one JSON line: time, an anonymised user,
the question, the intent (why it was not answered), the best candidate and its score.
The log is written by several threads (and processes) at once and may be cut short by a
crash, so each record is one ``O_APPEND`` write and unreadable lines are skipped.
The summary groups similar questions so the most wanted missing topic comes first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.6
MAX_QUESTION_CHARS = 500
MAX_BEST_CHARS = 200
MAX_LOG_BYTES = 20_000_000  # then the log is rotated to <name>.1, so a flood cannot fill the disk
DEFAULT_SALT = "zz-district-bot"


def anonymise(user: str, salt: str | None = None) -> str:
    """A stable pseudonym: the same resident counts once, but no chat id is ever written.

    Set BOT_LOG_SALT to a secret so the pseudonyms cannot be recomputed from known ids."""
    key = (salt if salt is not None else os.environ.get("BOT_LOG_SALT", DEFAULT_SALT)).encode()
    return hmac.new(key, user.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:12]


@dataclass
class UnansweredLog:
    """Append-only JSON-lines log of what residents asked that the bot could not answer."""

    path: Path
    max_bytes: int = MAX_LOG_BYTES
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def add(self, user: str, question: str, intent: str, best: str, score: float) -> None:
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "user": anonymise(user),
            "question": question[:MAX_QUESTION_CHARS],
            "intent": intent,
            "best": best[:MAX_BEST_CHARS],
            "score": round(float(score), 3),
        }
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._rotate_if_full()
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, data)  # one write of one line: lines from threads never interleave
                finally:
                    os.close(fd)
            except OSError as exc:  # a full disk must not cost the resident the answer
                log.warning("cannot write the unanswered log %s: %s", self.path, exc)

    def _rotate_if_full(self) -> None:
        try:
            if self.path.stat().st_size >= self.max_bytes:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        except FileNotFoundError:
            pass

    def records(self) -> list[dict]:
        """Every readable record, oldest first (the rotated file too); bad lines are skipped."""
        out: list[dict] = []
        for path in (self.path.with_name(self.path.name + ".1"), self.path):
            try:
                handle = path.open("rb")
            except OSError:
                continue
            with handle:
                for raw in handle:
                    record = _parse(raw)
                    if record is not None:
                        out.append(record)
        return out


def _parse(raw: bytes) -> dict | None:
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("question"), str):
        return None
    return record


def _key(question: str) -> str:
    """The form two askings of the same question share: width, case, spaces and punctuation folded."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", question).lower() if ch.isalnum())


def _bigrams(text: str) -> set[str]:
    text = _key(text)
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def similar(a: str, b: str, threshold: float = 0.5) -> bool:
    """Character-bigram overlap (Jaccard): 「哪里能写春联」 and 「哪里可以写春联?」 are alike."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / max(1, len(x | y)) >= threshold


def summarise(records: list[dict], limit: int = 30) -> list[tuple[int, str, list[str]]]:
    """Groups of similar questions, most frequent first: (count, representative, variants).

    The representative is the most asked wording; ties keep the order of first asking, so the
    summary is the same every time for the same log."""
    counts: Counter[str] = Counter()
    wording: dict[str, Counter[str]] = {}
    for record in records:
        question = record["question"].strip()
        if not question:
            continue
        key = _key(question)
        counts[key] += 1
        wording.setdefault(key, Counter())[question] += 1
    groups: list[tuple[str, Counter[str]]] = []
    for key, count in counts.most_common():
        shown = wording[key].most_common(1)[0][0]
        for head, members in groups:
            if similar(shown, head):
                members[shown] += count
                break
        else:
            groups.append((shown, Counter({shown: count})))
    ranked = sorted(groups, key=lambda g: -sum(g[1].values()))  # stable: ties stay in asking order
    return [
        (sum(m.values()), head, [q for q, _ in m.most_common() if q != head]) for head, m in ranked[:limit]
    ]


def format_summary(records: list[dict], limit: int = 30, nearest: Callable[[str], str] | None = None) -> str:
    """What `run_bot.py unanswered` prints: counts, then each group with up to three variants, and,
    given ``nearest``, the record the question is closest to (where an admin adds it to `asks:`)."""
    if not records:
        return "没有未回答的问题。"
    users = len({r.get("user") for r in records})
    lines = [f"{len(records)} 个未回答或低把握的问题,来自 {users} 位用户;相似问题合并,最多的在前:"]
    for count, head, variants in summarise(records, limit):
        more = f"(另有:{' / '.join(variants[:3])}{' 等' if len(variants) > 3 else ''})" if variants else ""
        lines.append(f"{count:>4}  {head}{more}")
        closest = nearest(head) if nearest is not None else ""
        if closest:
            lines.append(f"      → 最接近:{closest}")
    return "\n".join(lines)
