"""The account at the other end of a loopback connection, with a real second account."""

from __future__ import annotations

import os
import socket

from agent.platform.peer import peer_account, tcp_peer_uid
from tests.support.tricks import Account, Started, run_as


def test_peer_uid_of_a_connection_from_another_account(
    kid: Account, started: list[Started]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        script = f"exec 3<>/dev/tcp/127.0.0.1/{port}; sleep 30"
        started.append(run_as(kid, ["bash", "-c", script], cwd="/"))
        server.settimeout(10)
        conn, client = server.accept()
        with conn:
            assert tcp_peer_uid(client, ("127.0.0.1", port)) == kid.uid
            assert tcp_peer_uid(client, ("127.0.0.1", port + 1 if port < 65535 else 1)) is None


def test_peer_uid_of_our_own_connection_v4_and_v6() -> None:
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            server = socket.create_server((host, 0), family=family)
        except OSError:
            continue
        with server, socket.create_connection((host, server.getsockname()[1])) as c:
            conn, _addr = server.accept()
            with conn:
                client = c.getsockname()[:2]
                assert tcp_peer_uid(client, server.getsockname()[:2]) == os.getuid()
    assert tcp_peer_uid(("not an ip", 1), ("127.0.0.1", 2)) is None


def test_peer_account_names_the_account(kid: Account, started: list[Started]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        script = f"exec 3<>/dev/tcp/127.0.0.1/{port}; sleep 30"
        started.append(run_as(kid, ["bash", "-c", script], cwd="/"))
        server.settimeout(10)
        conn, client = server.accept()
        with conn:
            assert peer_account(client, ("127.0.0.1", port)) == kid.name
    assert peer_account(None, ("127.0.0.1", port)) is None
    assert peer_account(("testclient", 50000), ("testserver", 80)) is None
