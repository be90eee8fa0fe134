"""Running the web app under uvicorn: one process, or several workers sharing one listening socket."""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess

FACTORY = "bot.channels.web.app:app_from_environment"


class TCPConfig(uvicorn.Config):
    """uvicorn's Config, with a listening socket that says it is TCP.

    uvicorn binds the socket for ``--workers N`` with ``proto`` 0, accepted sockets inherit it, and
    asyncio only sets TCP_NODELAY when ``proto`` is IPPROTO_TCP: every keep-alive request after the
    first then waits ~40 ms for a delayed ACK (uvicorn issue #3149, measured here: p50 48 ms vs 4 ms).
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto == socket.IPPROTO_TCP:
            return sock
        tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        tcp.set_inheritable(True)
        return tcp


def serve(app: Starlette | None, workers: int, **options: Any) -> None:
    """``app`` in this process, or ``workers`` processes that each build it with :data:`FACTORY`."""
    if workers <= 1 and app is not None:
        uvicorn.Server(uvicorn.Config(app, **options)).run()
        return
    config = TCPConfig(FACTORY, factory=True, workers=workers, **options)
    Multiprocess(config, sockets=[config.bind_socket()]).run()
