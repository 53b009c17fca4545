"""Running the web app: `cablesearch serve` binds a socket and hands it to uvicorn.

The socket is bound here, not by uvicorn, so that a port in use is reported as a one-line error
(uvicorn would log and exit). The index is opened once, for reading only; `cablesearch index`
may add cables meanwhile, and searches see them after its next commit.
"""
from __future__ import annotations

import ipaddress
import signal
import socket
import threading
from pathlib import Path
from typing import Callable

from ..errors import CablesearchError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; CablesearchError with the reason when that fails."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise CablesearchError(f"cannot serve on {host}: {error.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise CablesearchError(f"cannot serve on {host}:{port}: {error.strerror}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """The http:// URL a bound socket answers at."""
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def serve(index_path: Path | str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
          status: Callable[[str], None] = print) -> None:
    """Serve the index at `index_path` on host:port until Ctrl-C (or SIGTERM) stops it."""
    try:
        import uvicorn

        from .app import WebSettings, create_app
    except ImportError as error:
        raise CablesearchError(f"the web server needs the 'web' extra ({error.name} is missing): "
                               f"pip install 'cablesearch[web]'") from None
    from ..index import CableIndex

    if not 0 <= port <= 65535:
        raise CablesearchError(f"--port must be 0-65535, not {port}")
    sock = bind(host, port)
    # On loopback, only requests naming this machine: a web page elsewhere cannot reach the server
    # through a DNS name rebound to 127.0.0.1. (Starlette's check cannot read IPv6 Host headers.)
    allowed = ("127.0.0.1", "localhost", sock.getsockname()[0]) if is_loopback(host) and ":" not in host else None
    with CableIndex.open(index_path) as index:  # never create=True: the server does not write
        app = create_app(index, WebSettings(allowed_hosts=allowed))
        config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                                timeout_graceful_shutdown=3)
        server = uvicorn.Server(config)
        where = "" if is_loopback(host) else " (reachable from other machines)"
        status(f"cablesearch: serving {index_path} at {url_of(sock)}{where}; Ctrl-C stops")
        # uvicorn shuts down gracefully on Ctrl-C and SIGTERM, then re-raises the signal it caught:
        # both end up here as KeyboardInterrupt, so both stop cleanly with status 0.
        previous = signal.signal(signal.SIGTERM, _interrupt) if _in_main_thread() else None
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        finally:
            sock.close()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    status("cablesearch: stopped")
