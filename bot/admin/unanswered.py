"""The questions the bot could not answer well, kept so admins see what to add next.

Each fallback or low-confidence answer becomes one JSON line: time, an anonymised user,
the question (phone numbers, ID cards and e-mail addresses masked), the intent (why it was not
answered), the best candidate and its score.  Pseudonyms are keyed HMACs; the key is
BOT_LOG_SALT (environment or .env) or else a random key made on first use, so nobody holding the
log can recompute a known chat id's pseudonym.
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
import secrets
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.admin.privacy import mask_personal

log = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.6
# Two questions are one topic when at least half their character bigrams are shared (Jaccard).
SIMILARITY = 0.5
MAX_QUESTION_CHARS = 500
MAX_BEST_CHARS = 200
MAX_LOG_BYTES = 20_000_000  # then the log is rotated to <name>.1, so a flood cannot fill the disk
KEY_FILE_NAME = "log.key"  # beside the log: var/log.key
KEY_BYTES = 32  # as long as SHA-256's output: the key is never the weak part
STATE_DIR_MODE = 0o700  # var/ holds residents' questions and the key: its owner only
STATE_FILE_MODE = 0o600


def anonymise(user: str, key: bytes | str) -> str:
    """A stable pseudonym: the same resident counts once, but no chat id is ever written."""
    secret = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.new(secret, user.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:12]


def make_state_dir(path: Path) -> None:
    """Create ``path`` (and parents) owner-only; an existing folder is left as its admin set it."""
    path.mkdir(mode=STATE_DIR_MODE, parents=True, exist_ok=True)


def log_key(key_file: Path, env_file: str | Path | None = ".env") -> bytes:
    """BOT_LOG_SALT from the environment or ``env_file`` if set; else the key in ``key_file``,
    made from ``secrets`` on first use (0600, in a 0700 folder).  Creation is atomic (a link of a
    complete temporary file), so two processes starting at once end up with the same key."""
    from bot.settings import load_settings  # settings (~5 ms) only once something is logged

    configured = load_settings(env_file, require_token=False).log_salt
    salt = configured.get_secret_value() if configured else ""
    if salt:
        return salt.encode("utf-8")
    try:
        return _read_key(key_file)
    except FileNotFoundError:
        pass
    make_state_dir(key_file.parent)
    temporary = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, STATE_FILE_MODE)
    try:
        os.write(fd, secrets.token_bytes(KEY_BYTES))
    finally:
        os.close(fd)
    try:
        os.link(temporary, key_file)
    except FileExistsError:  # another process made it first: use theirs
        pass
    finally:
        os.unlink(temporary)
    return _read_key(key_file)


def _read_key(key_file: Path) -> bytes:
    fd = os.open(key_file, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        key = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(key) != KEY_BYTES:
        raise OSError(f"{key_file} is not a {KEY_BYTES}-byte key; delete it to make a new one")
    return key


@dataclass
class UnansweredLog:
    """Append-only JSON-lines log of what residents asked that the bot could not answer."""

    path: Path
    max_bytes: int = MAX_LOG_BYTES
    env_file: str | Path | None = ".env"
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _key: bytes | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def key_file(self) -> Path:
        return self.path.with_name(KEY_FILE_NAME)

    def pseudonym(self, user: str) -> str:
        """The user's pseudonym under this log's key (read or made once)."""
        with self._lock:
            if self._key is None:
                try:
                    self._key = log_key(self.key_file, self.env_file)
                except OSError as exc:  # never a public key: a key for this run only
                    log.warning("cannot keep the log key %s (%s); a key for this run", self.key_file, exc)
                    self._key = secrets.token_bytes(KEY_BYTES)
            key = self._key
        return anonymise(user, key)

    def add(self, user: str, question: str, intent: str, best: str, score: float) -> None:
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "user": self.pseudonym(user),
            "question": mask_personal(question)[:MAX_QUESTION_CHARS],
            "intent": intent,
            "best": best[:MAX_BEST_CHARS],
            "score": round(float(score), 3),
        }
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        with self._lock:
            try:
                make_state_dir(self.path.parent)
                self._rotate_if_full()
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, STATE_FILE_MODE)
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


def similar(a: str, b: str, threshold: float = SIMILARITY) -> bool:
    """Character-bigram overlap (Jaccard): 「哪里能写春联」 and 「哪里可以写春联?」 are alike."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / max(1, len(x | y)) >= threshold


def summarise(
    records: list[dict], limit: int = 30, compare: Callable[[str, str], bool] = similar
) -> list[tuple[int, str, list[str]]]:
    """Groups of similar questions, most frequent first: (count, representative, variants).

    The representative is the most asked wording; ties keep the order of first asking, so the
    summary is the same every time for the same log.  Each wording joins the first group (in order
    of creation) whose head is ``compare``-similar, as comparing with every head did; but an
    inverted index of the heads' bigrams counts shared bigrams, and only heads that share enough of
    them for the Jaccard threshold are compared (all pairs took minutes for 6,000 questions)."""
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
    sizes: list[int] = []  # bigrams of each group's head
    postings: dict[str, list[int]] = {}  # bigram -> the groups whose head has it, ascending
    for key, count in counts.most_common():
        shown = wording[key].most_common(1)[0][0]
        grams = _bigrams(shown)
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(postings.get(gram, ()))
        # |x ∩ y| / |x ∪ y| >= t  ⇔  shared * (1 + t) >= t * (|x| + |y|); no shared bigram, no match.
        joined = next(
            (
                group
                for group in sorted(shared)
                if shared[group] * (1 + SIMILARITY) >= SIMILARITY * (len(grams) + sizes[group]) - 1e-9
                and compare(shown, groups[group][0])
            ),
            None,
        )
        if joined is not None:
            groups[joined][1][shown] += count
            continue
        for gram in grams:
            postings.setdefault(gram, []).append(len(groups))
        sizes.append(len(grams))
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
