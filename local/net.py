"""The local server's network decisions: which hosts are this machine, and taking the port before anything
is printed."""

from __future__ import annotations

import errno
import ipaddress
import socket
from urllib.parse import urlsplit

from core.errors import ParleyError


class CannotListen(ParleyError):
    code = "cannot_listen"


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1); the host of a Host header or of --host."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_local_host_header(value: str | None, port: int) -> bool:
    """A Host header that names this machine by a loopback name or address, on ``port``. A page opened
    under any other name (a DNS-rebinding attacker's, for one) must not get what only this machine may see."""
    if not value:
        return False
    try:
        parts = urlsplit(f"//{value}")
        named_port = parts.port if parts.port is not None else 80
    except ValueError:  # a port that is not a number, or out of range
        return False
    return parts.hostname is not None and is_loopback(parts.hostname) and named_port == port


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port``, ready for the server. A busy port is found here, before the banner,
    and said in one line with the fix."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror:
        raise CannotListen(f"cannot listen on {host}: no such host or address.") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CannotListen(
                f"port {port} on {host} is already in use (another parley serve?); stop it, or choose another "
                f"port: make run PORT={port + 1}, or parley serve --port {port + 1}."
            ) from None
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror}.") from None
    return sock
