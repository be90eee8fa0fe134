"""The state store in Redis: for workers on several machines, or when Redis is already there.

Entries are plain keys ``bot:{namespace}:{key}`` with a Redis TTL, so Redis expires them itself.
Bounding: every write also records the key in a per-namespace sorted set ``bot:_index:{namespace}``
scored by a write counter, and the set is trimmed to ``max_entries`` by deleting the least recently
written keys. Each write is one Lua script, so the value, the index and the trim change together.
The scripts touch keys they do not declare, so this is for one Redis server, not Redis Cluster.

The journal of a stream is a sorted set ``bot:_journal:{stream}`` (order) of item ids, each
item's payload its own key ``bot:_item:{stream}:{id}`` with a TTL.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from bot.state.base import StateStore, check_key, check_name, decode, encode
from bot.state.limits import DEFAULT_MAX_ENTRIES, DEFAULT_TTL, REDIS_SOCKET_TIMEOUT

if TYPE_CHECKING:
    import redis as redis_py

log = logging.getLogger(__name__)

# KEYS: data key, index, write counter. ARGV: value, ttl ms, max entries, key, "1" for only-if-absent,
# prefix of data keys. Returns 1 when written, 0 when an only-if-absent write found the key taken.
_PUT = """
if ARGV[5] == '1' then
    if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
else
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[4])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if excess > 0 then
    for _, key in ipairs(redis.call('ZRANGE', KEYS[2], 0, excess - 1)) do
        redis.call('DEL', ARGV[6] .. key)
    end
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
end
return 1
"""

# KEYS: item key, order, write counter. ARGV: payload, ttl ms, max items, item id, prefix of item keys.
# Returns -1 when the id is already pending, else how many of the oldest items were dropped.
_JOURNAL_ADD = """
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return -1 end
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[4])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if excess <= 0 then return 0 end
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, excess - 1)) do
    redis.call('DEL', ARGV[5] .. id)
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
return excess
"""

# KEYS: order. ARGV: prefix of item keys. Returns id, payload, id, payload ... oldest first and
# forgets ids whose item has expired.
_JOURNAL_PENDING = """
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    local payload = redis.call('GET', ARGV[1] .. id)
    if payload then
        out[#out + 1] = id
        out[#out + 1] = payload
    else
        redis.call('ZREM', KEYS[1], id)
    end
end
return out
"""

# KEYS: a sorted set. ARGV: prefix, members... Removes the members whose key has expired;
# checked inside the script so a key written again meanwhile keeps its place.
_FORGET_EXPIRED = """
local removed = 0
for i = 2, #ARGV do
    if redis.call('EXISTS', ARGV[1] .. ARGV[i]) == 0 then
        removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
    end
end
return removed
"""

_PURGE_BATCH = 500


class RedisStore(StateStore):
    """State in Redis, shared by any number of threads, processes and machines.

    redis-py's client is thread-safe (a connection pool), so one object may be shared by threads;
    each process should open its own. Connects at construction so a wrong URL fails at startup.
    ``prefix`` keeps several bots on one Redis apart."""

    def __init__(
        self,
        url: str,
        default_ttl: float = DEFAULT_TTL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        *,
        prefix: str = "bot",
    ) -> None:
        import redis as redis_py  # lazily: the SQLite store must work without redis installed

        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = int(max_entries)
        self.default_ttl = self._ttl(default_ttl)
        self._prefix = check_name(prefix, "prefix")
        self._url = _redact(url)
        self._redis: redis_py.Redis | None = redis_py.Redis.from_url(
            url, socket_timeout=REDIS_SOCKET_TIMEOUT, socket_connect_timeout=REDIS_SOCKET_TIMEOUT
        )
        try:
            self._redis.ping()
        except redis_py.RedisError:
            self._redis.close()
            raise
        self._put = self._redis.register_script(_PUT)
        self._journal_add = self._redis.register_script(_JOURNAL_ADD)
        self._journal_pending = self._redis.register_script(_JOURNAL_PENDING)
        self._forget_expired = self._redis.register_script(_FORGET_EXPIRED)

    def _client(self) -> redis_py.Redis:
        if self._redis is None:
            raise RuntimeError(f"state store {self._url} is closed")
        return self._redis

    def _data_prefix(self, namespace: str) -> str:
        return f"{self._prefix}:{namespace}:"

    def _index(self, namespace: str) -> str:
        return f"{self._prefix}:_index:{namespace}"

    def _counter(self) -> str:
        return f"{self._prefix}:_seq"

    def _order(self, stream: str) -> str:
        return f"{self._prefix}:_journal:{stream}"

    def _item_prefix(self, stream: str) -> str:
        return f"{self._prefix}:_item:{stream}:"

    # --- key-value -----------------------------------------------------------------------------

    def get(self, namespace: str, key: str) -> Any | None:
        check_name(namespace)
        check_key(key)
        raw = self._client().get(self._data_prefix(namespace) + key)
        return decode(raw, f"{namespace}/{key}")

    def put(self, namespace: str, key: str, value: Any, ttl: float | None = None) -> None:
        self._write(namespace, key, encode(value), ttl, only_if_absent=False)

    def delete(self, namespace: str, key: str) -> None:
        check_name(namespace)
        check_key(key)
        with self._client().pipeline(transaction=True) as pipe:
            pipe.delete(self._data_prefix(namespace) + key)
            pipe.zrem(self._index(namespace), key)
            pipe.execute()

    def claim(self, namespace: str, key: str, ttl: float | None = None) -> bool:
        return self._write(namespace, key, "true", ttl, only_if_absent=True)

    def _write(self, namespace: str, key: str, text: str, ttl: float | None, *, only_if_absent: bool) -> bool:
        check_name(namespace)
        check_key(key)
        prefix = self._data_prefix(namespace)
        written = self._put(
            keys=[prefix + key, self._index(namespace), self._counter()],
            args=[text, _ms(self._ttl(ttl)), self.max_entries, key, "1" if only_if_absent else "0", prefix],
            client=self._client(),
        )
        return written == 1

    # --- journal -------------------------------------------------------------------------------

    def journal_add(self, stream: str, item_id: str, payload: Any) -> None:
        check_name(stream, "stream")
        check_key(item_id, "item_id")
        prefix = self._item_prefix(stream)
        dropped = self._journal_add(
            keys=[prefix + item_id, self._order(stream), self._counter()],
            args=[encode(payload), _ms(self.default_ttl), self.max_entries, item_id, prefix],
            client=self._client(),
        )
        if dropped > 0:
            log.warning("journal %s is full: dropped its %d oldest pending items", stream, dropped)

    def journal_pending(self, stream: str) -> list[tuple[str, Any]]:
        check_name(stream, "stream")
        flat = self._journal_pending(
            keys=[self._order(stream)], args=[self._item_prefix(stream)], client=self._client()
        )
        out = []
        for raw_id, raw in zip(flat[::2], flat[1::2], strict=True):
            item_id = raw_id.decode("utf-8")
            payload = decode(raw, f"journal {stream}/{item_id}")
            if payload is not None:
                out.append((item_id, payload))
        return out

    def journal_done(self, stream: str, item_id: str) -> None:
        check_name(stream, "stream")
        check_key(item_id, "item_id")
        with self._client().pipeline(transaction=True) as pipe:
            pipe.delete(self._item_prefix(stream) + item_id)
            pipe.zrem(self._order(stream), item_id)
            pipe.execute()

    # --- housekeeping --------------------------------------------------------------------------

    def purge_expired(self) -> int:
        """Redis removes expired values itself; this drops the index entries still naming them.

        Returns how many such references were removed. Not needed for bounding (the indexes are
        trimmed on every write), only to keep them small; run it now and then, e.g. daily."""
        client = self._client()
        removed = 0
        for pattern, prefix_of in (
            (f"{self._prefix}:_index:*", lambda name: self._data_prefix(name)),
            (f"{self._prefix}:_journal:*", lambda name: self._item_prefix(name)),
        ):
            for raw_set in client.scan_iter(match=pattern, count=_PURGE_BATCH):
                zset = raw_set.decode("utf-8")
                prefix = prefix_of(zset.rsplit(":", 1)[1])
                batch: list[bytes] = []
                for member, _score in client.zscan_iter(zset, count=_PURGE_BATCH):
                    batch.append(member)
                    if len(batch) == _PURGE_BATCH:
                        removed += self._forget_expired(keys=[zset], args=[prefix, *batch], client=client)
                        batch = []
                if batch:
                    removed += self._forget_expired(keys=[zset], args=[prefix, *batch], client=client)
        return removed

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
            self._redis = None

    def __repr__(self) -> str:
        return f"RedisStore({self._url!r})"


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))
