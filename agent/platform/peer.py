"""Which local account is on the other end of a loopback TCP connection."""

from __future__ import annotations

import ipaddress
import os
import socket
import struct

import psutil

try:
    import pwd
except ImportError:  # Windows
    pwd = None  # type: ignore[assignment]

__all__ = ["is_loopback", "peer_account", "tcp_peer_uid"]

_TABLES = {4: ("/proc/net/tcp",), 6: ("/proc/net/tcp6",)}


def _hex_address(host: str, port: int) -> tuple[str, ...]:
    """How /proc/net/tcp{,6} prints an address (each 32-bit word in host byte order),
    in every form the kernel may use for it (an IPv4 peer on a dual-stack socket)."""
    ip = ipaddress.ip_address(host)
    forms = []
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        forms.append(_hex_address(str(ip.ipv4_mapped), port)[0])
    packed = ip.packed if ip.version == 6 else socket.inet_aton(str(ip))
    if ip.version == 4:
        forms.append(_hex_v6(b"\0" * 10 + b"\xff\xff" + packed, port))
    words = struct.unpack(f"={len(packed) // 4}I", packed)
    forms.insert(0, "".join(f"{w:08X}" for w in words) + f":{port:04X}")
    return tuple(forms)


def _hex_v6(packed: bytes, port: int) -> str:
    """The /proc/net/tcp6 form of a 16-byte address."""
    return "".join(f"{w:08X}" for w in struct.unpack("=4I", packed)) + f":{port:04X}"


def tcp_peer_uid(client: tuple[str, int], server: tuple[str, int]) -> int | None:
    """The uid owning the client end of a TCP connection from client to server on this
    machine (Linux, from /proc/net/tcp and tcp6); None when not found or unknown."""
    try:
        local = set(_hex_address(*client))
        remote = set(_hex_address(*server))
    except ValueError:
        return None
    for path in _TABLES[4] + _TABLES[6]:
        try:
            with open(path, encoding="ascii") as f:
                next(f, None)  # the header
                for line in f:
                    fields = line.split()
                    if len(fields) > 7 and fields[1] in local and fields[2] in remote:
                        return int(fields[7])
        except OSError:
            continue
    return None


def peer_account(client: tuple[str, int] | None, server: tuple[str, int] | None) -> str | None:
    """The account name behind the client end of a loopback TCP connection to this process,
    or None when it cannot be told (Linux reads /proc/net/tcp; elsewhere psutil's connection
    table, which needs the service's privileges)."""
    if client is None or server is None:
        return None
    uid = tcp_peer_uid(client, server)
    if uid is not None and pwd is not None:
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return str(uid)
    return _psutil_peer(client)


def _psutil_peer(client: tuple[str, int]) -> str | None:
    """The owner of the process whose TCP socket has client as its local address."""
    if os.path.isdir("/proc/net"):
        return None  # Linux answered above; nothing better to ask
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and (conn.laddr.ip, conn.laddr.port) == client and conn.pid:
                name: str = psutil.Process(conn.pid).username()
                return name.rpartition("\\")[2]
    except (psutil.Error, OSError):
        return None
    return None


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this computer's loopback ("localhost" included)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
