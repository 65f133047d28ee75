"""Who listens at the agent's address, from the kernel's socket table (Linux).

Before a PIN or a session token is sent, the CLI and the tray check that the socket listening
at the installed agent's address belongs to root: a program of the child's own account that
took the address (or a rules file of theirs pointing elsewhere) must not receive them.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from urllib.parse import urlsplit

from agent.i18n import _

__all__ = ["impostor", "listening_uids"]

_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
_LISTEN = "0A"


def _address(hexed: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address as /proc/net/tcp{,6} writes it (32-bit words in host order)."""
    raw = bytes.fromhex(hexed)
    words = [raw[i : i + 4] for i in range(0, len(raw), 4)]
    swapped = b"".join(w[::-1] for w in words) if sys.byteorder == "little" else raw
    return ipaddress.ip_address(swapped)


def _reaches_loopback(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_loopback or addr.is_unspecified


def listening_uids(port: int) -> set[int] | None:
    """The accounts owning TCP sockets listening on `port` where loopback clients reach them.

    None where the kernel's socket table cannot be read (not Linux).
    """
    found: set[int] = set()
    read = False
    for table in _TABLES:
        try:
            lines = table.read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        read = True
        for line in lines:
            fields = line.split()
            if len(fields) < 8 or fields[3] != _LISTEN:
                continue
            hexed, _sep, hexport = fields[1].partition(":")
            try:
                if int(hexport, 16) == port and _reaches_loopback(_address(hexed)):
                    found.add(int(fields[7]))
            except ValueError:
                continue
    return found if read else None


def impostor(url: str, *, agent_is_root: bool) -> str | None:
    """Why a PIN must not go to `url`, or None when it may (or this cannot be told here)."""
    if not agent_is_root:
        return None
    port = urlsplit(url).port
    uids = listening_uids(port) if port is not None else None
    if not uids or uids == {0}:
        return None  # nothing listens (the call fails anyway), or root's agent does
    return _(
        "refusing to send the parent PIN: the program listening at {url} is not the "
        "installed PlayClock agent (it does not run as root)"
    ).format(url=url)
