"""Prometheus metrics of one web app, in a registry of its own (two apps in one test never collide).

With several workers each keeps its own counters; a scrape sees the worker that answered it.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.channels.web.limits import LATENCY_BUCKETS
from bot.engine.reply import Reply

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The web channel's counters and latency histogram."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.questions = Counter("bot_web_questions", "Chat requests answered", ["type"], registry=r)
        self.replies = Counter("bot_web_replies", "Replies by kind", ["kind"], registry=r)
        self.fallbacks = Counter("bot_web_fallbacks", "Replies that could not answer", ["intent"], registry=r)
        self.suggestions = Counter("bot_web_suggestions", "Choices offered, by kind", ["kind"], registry=r)
        self.rejected = Counter(
            "bot_web_rejected", "Chat requests refused, by reason", ["reason"], registry=r
        )
        self.latency = Histogram(
            "bot_web_reply_seconds", "Time to answer one chat request", buckets=LATENCY_BUCKETS, registry=r
        )

    def answered(self, kind: str, reply: Reply, seconds: float) -> None:
        """Count one answered request: ``kind`` is "text" (typed) or "action" (a button)."""
        self.questions.labels(kind).inc()
        self.replies.labels(reply.kind).inc()
        if reply.kind == "fallback":
            self.fallbacks.labels(reply.intent).inc()
        for offer in reply.offers:
            self.suggestions.labels(offer.kind).inc()
        self.latency.observe(seconds)

    def reject(self, reason: str) -> None:
        self.rejected.labels(reason).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
