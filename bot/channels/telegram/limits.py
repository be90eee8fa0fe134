"""Every limit of the Telegram adapter in one place, each with the reason for its value."""

from __future__ import annotations

# Telegram refuses callback data over 64 bytes; ours is a short code, a ref and a number.
MAX_CALLBACK_BYTES = 64

# Telegram's limit for one message's text.
MAX_MESSAGE_CHARS = 4096

# getUpdates long-poll: how long Telegram may hold one request open when nothing arrives.
POLL_TIMEOUT = 10

# Start-up attempts when the Bot API is briefly unreachable (then exit 1, the service manager restarts).
BOOTSTRAP_RETRIES = 3

# Residents answered side by side (each resident's own messages strictly in order): enough to hide
# the Bot API's round trips behind each other, few enough that the engine threads do not thrash.
CONCURRENT_UPDATES = 16

# Keep-alive connections for sends: one per worker (a worker has at most one call in flight) and a
# few for error replies. Not PTB's 256: httpcore checks every pooled connection on every request,
# which took a third of a burst's CPU at 256.
SEND_CONNECTIONS = CONCURRENT_UPDATES + 4

# How long a thread may hold the GIL before another gets it (Python's default is 5 ms). The event
# loop makes many short system calls, each of which waited up to 5 ms for the engine threads to
# yield; 1 ms keeps the loop's sends flowing under load (+20% updates/s in the load run).
GIL_SWITCH_SECONDS = 0.001

# "typing…" is shown only when the answer is not ready this long after its handler started. A reply
# within a second needs no indicator (the resident's own message has barely been sent), and under a
# burst every skipped sendChatAction is one Bot API round trip fewer: it took 18% of the bot's CPU
# in the load run when it was sent for every question. Telegram shows it for 5 s or until a message.
TYPING_AFTER_SECONDS = 1.0

# A failed send (5xx, a dropped keep-alive connection, a 429) is tried this many times in all.
# Telegram's 5xx and stale pooled connections clear within a second or two; four tries with the
# backoff below span about 3.5 s, inside the few seconds a resident waits for an answer.
SEND_ATTEMPTS = 4
RETRY_BACKOFF_SECONDS = 0.5  # first pause; doubled each time (0.5, 1, 2)
RETRY_BACKOFF_MAX_SECONDS = 2.0

# A 429 asking for a longer pause than this is not waited out inside the handler: the answer would
# be stale and the worker blocked; the error is logged instead (flood limits of a whole chat last minutes).
MAX_RETRY_AFTER_SECONDS = 30.0

# An update's "answered" marker outlives any redelivery: Telegram keeps unconfirmed updates for 24 h.
ANSWERED_TTL_SECONDS = 24 * 3600.0

# Poison updates logged once each; remembering more ids than this is pointless (Telegram moves on).
POISON_IDS_KEPT = 1_000

# The day buttons of /events, per row: four fit a phone's width with 「12月31日」 labels.
DAYS_PER_ROW = 4
