"""The listening socket handed to uvicorn's workers says it is TCP, so replies are not held back by Nagle."""

from __future__ import annotations

import socket

from bot.channels.web.server import FACTORY, TCPConfig


def test_the_workers_socket_is_tcp_so_asyncio_sets_nodelay() -> None:
    sock = TCPConfig(FACTORY, factory=True, host="127.0.0.1", port=0, workers=2).bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.get_inheritable()
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()
