"""The questions the bot could not answer well, kept so admins see what to add next.

Each fallback or low-confidence answer becomes one JSON line: time, an anonymised user,
the question, the best candidate and its score. The summary groups similar questions.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

LOW_CONFIDENCE = 0.6


def anonymise(user: str, salt: str = "zz-district-bot") -> str:
    return hashlib.sha256(f"{salt}:{user}".encode()).hexdigest()[:12]


@dataclass
class UnansweredLog:
    path: Path

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, user: str, question: str, intent: str, best: str, score: float) -> None:
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "user": anonymise(user),
            "question": question[:500],
            "intent": intent,
            "best": best[:200],
            "score": round(score, 3),
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out


def _bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in text.lower() if ch.isalnum())
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def similar(a: str, b: str, threshold: float = 0.5) -> bool:
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / max(1, len(x | y)) >= threshold


def summarise(records: list[dict], limit: int = 30) -> list[tuple[int, str, list[str]]]:
    """Groups of similar questions, most frequent first: (count, representative, variants)."""
    counts = Counter(r["question"] for r in records)
    groups: list[tuple[str, Counter]] = []
    for question, count in counts.most_common():
        for head, members in groups:
            if similar(question, head):
                members[question] += count
                break
        else:
            groups.append((question, Counter({question: count})))
    ranked = sorted(groups, key=lambda g: (-sum(g[1].values()), g[0]))
    return [
        (sum(m.values()), head, [q for q, _ in m.most_common() if q != head]) for head, m in ranked[:limit]
    ]


def format_summary(records: list[dict]) -> str:
    if not records:
        return "没有未回答的问题。"
    users = len({r.get("user") for r in records})
    lines = [f"{len(records)} 个未回答或低把握的问题,来自 {users} 位用户;相似问题合并,最多的在前:"]
    for count, head, variants in summarise(records):
        more = f"(另有:{' / '.join(variants[:3])})" if variants else ""
        lines.append(f"{count:>4}  {head}{more}")
    return "\n".join(lines)
