"""Every limit of the web channel in one place, each with the reason for its value."""

from __future__ import annotations

# A question is at most 2000 characters (the engine's MAX_MESSAGE_CHARS), 6 KB of UTF-8 inside
# JSON; 16 KiB leaves room for escapes and the action fields, and stops anyone making the
# server buffer megabytes. BOT_WEB_MAX_BODY overrides it.
MAX_BODY_BYTES = 16 * 1024

# Resident ids are random tokens the page makes (22 characters of base64url = 128 bits) or the
# server sets in a cookie; 16..64 letters, digits, "_" or "-" accepts both and nothing else, so
# an id can never be a name, a path or a store key with a ":" in it.
RESIDENT_ID_PATTERN = r"[A-Za-z0-9_-]{16,64}"

# A reply's ref is the conversation service's secrets.token_urlsafe(6) (8 characters); 32 is
# generous and keeps junk out of the store's key space.
REF_PATTERN = r"[A-Za-z0-9_-]{1,32}"

# An action's string value is a passage id (「000-6.1.1」) or an ISO day; nothing longer is real.
MAX_ACTION_VALUE_CHARS = 64

# Per resident id: an elderly resident types a question in tens of seconds, and tapping 下一页
# through a six-page list takes about six taps in ten seconds; ten per ten seconds allows
# both. The first message over the limit gets the 「请慢一点」 reply, later ones 429.
RESIDENT_MESSAGES = 10
RESIDENT_WINDOW_SECONDS = 10.0

# Per client IP, because resident ids are chosen by the client and a script can rotate them.
# A district office or a family shares one IP behind NAT, so the cap is twelve residents
# chatting at full speed; anything above that is a script. Over the cap: 429.
IP_MESSAGES = 120
IP_WINDOW_SECONDS = 60.0

# The resident-id cookie lives as long as the state store keeps a conversation (a week):
# a later visit with an older cookie would find nothing anyway.
COOKIE_MAX_AGE_SECONDS = 7 * 24 * 3600

# A /healthz that waits on a dead Redis must still answer before a load balancer gives up
# (commonly 5 s): the store check gets 2 s.
HEALTH_STORE_TIMEOUT_SECONDS = 2.0

# Latency histogram buckets (seconds): answers take a few ms to a few hundred ms; the top
# buckets show a stuck store or an overloaded worker.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Page numbers and offer numbers: a list has at most 61 events (13 pages), so 10 000 is far
# beyond any real button and keeps absurd integers away from the engine.
MAX_ACTION_NUMBER = 10_000

# Answers computed at once per worker. The engine is pure Python and holds the GIL, so more
# threads only add switching; two lets one answer's store round trip (SQLite, Redis) overlap
# another's computation. Measured with benchmarks/web_load.py at concurrency 20 on 2 CPUs:
# about a third more requests/s and a lower p99 than letting all 20 into the thread pool.
ENGINE_CONCURRENCY = 2
