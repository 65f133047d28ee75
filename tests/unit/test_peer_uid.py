"""The owner of a loopback TCP connection (/proc/net/tcp) and of a Unix socket."""

from __future__ import annotations

import os
import socket

from agent.platform.peer import loopback_peer_uid, parse_proc_net_tcp, socket_peer_uid

SAMPLE = (
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout\n"
    "   0: 0100007F:1CD1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  0 1 1 0\n"
    "   1: 0100007F:C350 0100007F:1CD1 01 00000000:00000000 00:00000000 00000000  1001  0 2 1 0\n"
)


def test_parse() -> None:
    rows = parse_proc_net_tcp(SAMPLE)
    assert rows[0][:5] == ("127.0.0.1", 7377, "0.0.0.0", 0, "0A")
    assert rows[1] == ("127.0.0.1", 50000, "127.0.0.1", 7377, "01", 1001)


def test_real_loopback_connection_is_ours() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname())
    conn, addr = server.accept()
    try:
        assert loopback_peer_uid(addr, server.getsockname()[1]) == os.getuid()
        assert loopback_peer_uid(addr, server.getsockname()[1] + 1) is None
        assert loopback_peer_uid(("10.0.0.1", addr[1]), server.getsockname()[1]) is None
    finally:
        for s in (conn, client, server):
            s.close()


def test_unix_socket_peer() -> None:
    a, b = socket.socketpair(socket.AF_UNIX)
    try:
        assert socket_peer_uid(a) == os.getuid()
    finally:
        a.close()
        b.close()
