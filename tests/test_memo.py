"""Methods an object remembers (bot.engine.memo): computed once per object and arguments, never shared."""

from __future__ import annotations

from bot.engine.memo import MEMO_TEXTS, remembered


class Counter:
    def __init__(self, base: int) -> None:
        self.base = base
        self.calls = 0

    @remembered
    def plus(self, n: int) -> int:
        """Adds the base."""
        self.calls += 1
        return self.base + n


def test_each_object_computes_once_per_argument() -> None:
    one, two = Counter(10), Counter(100)
    assert [one.plus(1), one.plus(1), one.plus(2)] == [11, 11, 12]
    assert one.calls == 2
    assert two.plus(1) == 101 and two.calls == 1, "another object has its own memory"


def test_the_memory_is_bounded_and_the_method_stays_documented() -> None:
    counter = Counter(0)
    for n in range(MEMO_TEXTS + 10):
        counter.plus(n)
    assert counter.plus.cache_info().currsize == MEMO_TEXTS  # type: ignore[attr-defined]
    assert Counter.plus.__doc__ == "Adds the base."
