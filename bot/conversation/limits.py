"""Every limit of the conversation service, with the reason for its value."""

# A message id is remembered this long: WeChat retries within 15 s, a Telegram update is
# replayed at most once after a restart; a day leaves a wide margin and stays small.
SEEN_TTL_SECONDS = 24 * 3600.0

# How long a retry waits for the worker that claimed the same message id. WeChat gives up
# after 5 s per try; waiting slightly less lets the retry still answer within its deadline.
RETRY_WAIT_SECONDS = 4.5

# Per-resident locks kept in memory; older idle ones are dropped (a lock is only needed while
# a resident has a message in flight), so memory stays bounded however many residents write.
LOCKS_KEPT = 10_000
