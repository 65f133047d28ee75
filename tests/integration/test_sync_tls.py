"""TLS: the hub's certificate is always verified; a family's own CA bundle is accepted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sync.state import TOKEN_NAME
from sync.transport import HubUnavailable
from tests.support.hubserver import REPO_ROOT, HubApi, free_port
from tests.support.sync_devices import AN, BASE, Device, at, expected_day, hub_day
from tests.support.waiting import wait_until


@pytest.fixture(scope="module")
def tls_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(https URL, CA file) of a hub serving a self-signed certificate for 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    tmp = tmp_path_factory.mktemp("tls-hub")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with (tmp / "hub.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sync.hub", "--db", f"sqlite:///{tmp / 'hub.sqlite'}",
             "--listen", f"127.0.0.1:{port}", "--tls-cert", str(cert), "--tls-key", str(key)],
            cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"https://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return requests.get(f"{url}/v1/health", verify=str(cert), timeout=2).ok
        except requests.RequestException:
            return proc.poll() is not None  # stop waiting when it died; asserted below

    try:
        wait_until(healthy, timeout=30, message="the TLS hub to answer")
        assert proc.poll() is None, (tmp / "hub.log").read_text()
        yield url, str(cert)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)


def test_an_unknown_certificate_is_refused_and_a_given_ca_bundle_is_trusted(
        tls_hub: tuple[str, str], tmp_path: Path) -> None:
    url, ca = tls_hub
    api = HubApi(url)
    api.http.verify, api.http.trust_env = ca, False  # not $REQUESTS_CA_BUNDLE
    _, parent = api.family()
    code = api.pairing_code(parent)
    device = Device(tmp_path, at(BASE))
    with pytest.raises(HubUnavailable) as refused:
        device.pair(url, code)  # the system's CAs do not know this hub: never sent
    assert refused.value.code == "tls_error"
    assert not device.store.load().enabled and device.store.load().consents == {}
    assert device.secrets.get(TOKEN_NAME) is None
    device.pair(url, code, ca_bundle=ca)  # the code was not used up by the refused try
    device.use(BASE, AN, {"minecraft": 700})
    report = device.client().run_once()
    assert report.ok and report.sent == [(AN, BASE.isoformat())], report
    assert hub_day(api, parent, AN, BASE) == expected_day(device.ledger, AN, BASE)
    device.close()
    api.http.close()
