"""Who is on the other end of a loopback TCP connection: the client socket's owner uid.

Linux keeps the owner of every socket in /proc/net/tcp and /proc/net/tcp6; the agent's
local API looks up the client's (address, port) -> our port entry there, so a tray can
report facts about its own account (idle time) without a password. Elsewhere the answer
is None, and such reports are refused (the session then counts as in use).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from pathlib import Path

__all__ = [
    "loopback_peer_account",
    "loopback_peer_uid",
    "parse_proc_net_tcp",
    "socket_peer_uid",
]

_ESTABLISHED = "01"


def _decode(hex_addr: str) -> tuple[str, int]:
    addr, port = hex_addr.split(":")
    raw = bytes.fromhex(addr)
    # The kernel prints each 32-bit word in host byte order.
    words = [raw[i : i + 4] for i in range(0, len(raw), 4)]
    packed = b"".join(struct.pack("=I", struct.unpack(">I", w)[0]) for w in words)
    ip = ipaddress.ip_address(packed)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip), int(port, 16)


def parse_proc_net_tcp(text: str) -> list[tuple[str, int, str, int, str, int]]:
    """(local ip, local port, remote ip, remote port, state, uid) for each line."""
    out: list[tuple[str, int, str, int, str, int]] = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        try:
            lip, lport = _decode(fields[1])
            rip, rport = _decode(fields[2])
            out.append((lip, lport, rip, rport, fields[3], int(fields[7])))
        except ValueError:
            continue
    return out


def loopback_peer_uid(
    client: tuple[str, int], server_port: int, proc: Path = Path("/proc/net")
) -> int | None:
    """The uid owning the client end of client -> (loopback, server_port), or None."""
    host, port = client
    try:
        wanted = str(ipaddress.ip_address(host))
        mapped = ipaddress.ip_address(host)
        if isinstance(mapped, ipaddress.IPv6Address) and mapped.ipv4_mapped is not None:
            wanted = str(mapped.ipv4_mapped)
    except ValueError:
        return None
    if not ipaddress.ip_address(wanted).is_loopback:
        return None
    for name in ("tcp", "tcp6"):
        try:
            text = (proc / name).read_text()
        except OSError:
            continue
        for lip, lport, _rip, rport, state, uid in parse_proc_net_tcp(text):
            if lip == wanted and lport == port and rport == server_port and state == _ESTABLISHED:
                return uid
    return None


def socket_peer_uid(sock: socket.socket) -> int | None:
    """SO_PEERCRED of a connected Unix socket (Linux), or None."""
    if not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


def loopback_peer_account(client: tuple[str, int], server_port: int) -> str | None:
    """The account name owning the client end of a loopback connection, or None."""
    uid = loopback_peer_uid(client, server_port)
    if uid is None:
        return None
    try:
        import pwd
    except ImportError:  # not POSIX
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None
