"""Every default of the state store in one place, each with the reason for its value."""

from __future__ import annotations

# A conversation, a de-duplication marker or a cached reply older than a week is worth
# nothing: WeChat retries within seconds, Telegram redelivers within a day, and residents
# who come back after a week start a new topic.
DEFAULT_TTL = 7 * 24 * 3600.0

# Per namespace. Ten times the residents a district bot can expect to talk to in a week,
# yet small enough (a few tens of MB) that a flood of fake users cannot fill the disk.
DEFAULT_MAX_ENTRIES = 100_000

# A value is a conversation state or one reply, a few KB; anything near this is a bug or an attack.
MAX_VALUE_BYTES = 1_000_000

# Keys are chat ids, message ids, open ids: short. Long keys are refused rather than truncated
# so two different keys can never collide.
MAX_KEY_CHARS = 256

# Expired rows are invisible at once but take disk until removed; sweeping every N writes
# keeps the file small without a background thread.
PURGE_EVERY_WRITES = 1_000

# Several processes share one SQLite file; a writer waits this long for another's commit
# (each is a few ms) before giving up with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5_000

# In WAL mode NORMAL never loses a committed write when a process is killed, only (on a power
# cut) the last few commits, and never the file's consistency; FULL would fsync every claim.
SQLITE_SYNCHRONOUS = "NORMAL"

# wait_for polls: a WeChat retry arrives 5 s after the first delivery, so 50 ms is prompt
# enough and costs nothing.
WAIT_POLL = 0.05

# Redis: connecting and each command give up after this, so a dead Redis fails a reply
# quickly instead of hanging a worker.
REDIS_SOCKET_TIMEOUT = 5.0
