"""A request object that wraps another: PTB's transport stays, one concern is added around its calls."""

from __future__ import annotations

from telegram.request import BaseRequest


class WrappingRequest(BaseRequest):
    """Passes life cycle and timeouts to ``inner``; a subclass adds its concern in ``do_request``."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()
