"""The hub behind Caddy over HTTPS, configured as the README's Caddy section says.

The Caddyfile is the README's own block, with the example host name made a loopback
address (`https://localhost:PORT`, `tls internal`: Caddy's local CA, trusted by this test
only, bound to 127.0.0.1) and the upstreams made the test's hub process. Through it the web
app's pages and forms work, the hub sees the browser's scheme and host (secure cookies, the
pairing command's https URL, same-origin checks), plain HTTP is redirected to HTTPS, and a
device pairs and uploads a day. Skipped, with the reason, where Caddy is not installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.support.hubserver import REPO_ROOT, HubApi, HubServer, free_port
from tests.support.hubweb import csrf_of
from tests.support.waiting import wait_until

CADDY = shutil.which("caddy")
pytestmark = pytest.mark.skipif(
    CADDY is None, reason="caddy is not installed (Debian: apt-get install caddy)")

PASSWORD = "mật khẩu 12345"


def readme_caddyfile() -> str:
    """The Caddyfile block of the README's "Running a hub behind Caddy" section."""
    text = (REPO_ROOT / "README.md").read_text("utf-8")
    section = text[text.index("### Running a hub behind Caddy"):]
    match = re.search(r"the whole `/etc/caddy/Caddyfile` is:\n\n```\n(.*?)```", section, re.S)
    assert match, "the README's Caddy section shows the Caddyfile"
    return match[1]


def caddyfile(site: str, upstream: str, data: Path, http_port: int, https_port: int) -> str:
    """The README's Caddyfile for a loopback test: its host, upstreams and a local CA."""
    block = readme_caddyfile()
    assert "hub.example.vn {" in block and "reverse_proxy 127.0.0.1:7380 127.0.0.1:7381" in block
    block = block.replace("hub.example.vn {", f"{site} {{\n    bind 127.0.0.1\n    tls internal")
    block = block.replace("127.0.0.1:7380 127.0.0.1:7381", upstream)
    options = (f"{{\n    admin off\n    http_port {http_port}\n    https_port {https_port}\n"
               f"    skip_install_trust\n    storage file_system {data}\n}}\n\n")
    return options + block


class Caddy:
    """`caddy run` on a Caddyfile, with its data and config under one directory."""

    def __init__(self, home: Path, config: str) -> None:
        self.home = home
        self.data = home / "data"
        self.file = home / "Caddyfile"
        self.file.write_text(config, "utf-8")
        self.log = (home / "caddy.log").open("wb")
        env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "xdg-data"),
               "XDG_CONFIG_HOME": str(home / "xdg-config")}
        self.proc = subprocess.Popen([str(CADDY), "run", "--config", str(self.file),
                                      "--adapter", "caddyfile"], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    @property
    def root_ca(self) -> Path:
        """The local CA's certificate (`tls internal`)."""
        return self.data / "pki" / "authorities" / "local" / "root.crt"

    def output(self) -> str:
        """What Caddy logged."""
        return (self.home / "caddy.log").read_text("utf-8", "replace")

    def stop(self) -> None:
        """Stop Caddy and wait for it."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        self.log.close()


@pytest.fixture
def behind_caddy(tmp_path: Path) -> Iterator[tuple[HubServer, Caddy, str, int]]:
    http_port, https_port = free_port(), free_port()
    site = f"https://localhost:{https_port}"
    with HubServer(f"sqlite:///{tmp_path / 'hub.sqlite'}", log_dir=tmp_path) as hub:
        config = caddyfile(site, f"127.0.0.1:{hub.port}", tmp_path / "caddy" / "data",
                           http_port, https_port)
        (tmp_path / "caddy").mkdir(exist_ok=True)
        caddy = Caddy(tmp_path / "caddy", config)
        try:
            def up() -> bool:
                assert caddy.proc.poll() is None, caddy.output()
                if not caddy.root_ca.is_file():
                    return False
                try:
                    r = requests.get(f"{site}/v1/health", verify=str(caddy.root_ca), timeout=5)
                except requests.RequestException:
                    return False
                return r.status_code == 200

            wait_until(up, timeout=60, interval=0.2, message="the hub through Caddy")
            yield hub, caddy, site, http_port
        finally:
            caddy.stop()


def test_the_web_app_and_devices_work_over_https_through_caddy(
        behind_caddy: tuple[HubServer, Caddy, str, int]) -> None:
    hub, caddy, site, http_port = behind_caddy
    web = requests.Session()
    web.trust_env = False
    web.verify = str(caddy.root_ca)
    origin = {"Origin": site}

    # Plain HTTP is sent to HTTPS by Caddy (to port 443 as on a real host: Caddy 2.6 leaves
    # a non-standard HTTPS port out of this redirect).
    r = requests.get(f"http://localhost:{http_port}/login", allow_redirects=False, timeout=10)
    moved = urlsplit(r.headers["Location"])
    assert r.status_code in (301, 308) and (moved.scheme, moved.hostname, moved.path) == (
        "https", "localhost", "/login")

    # The login page over HTTPS; the sign-up form works and its session cookie is Secure.
    first = web.get(f"{site}/login", timeout=10)
    assert first.status_code == 200 and 'name="password"' in first.text
    assert first.headers.get("Content-Encoding") == "gzip"  # `encode gzip`, as set up
    page = web.get(f"{site}/signup", timeout=10)
    email = f"me-{uuid.uuid4().hex[:8]}@example.test"
    r = web.post(f"{site}/signup", headers=origin, allow_redirects=False, timeout=30, data={
        "csrf": csrf_of(page.text), "family_name": "Gia đình Nguyễn", "parent_name": "Mẹ",
        "email": email, "password": PASSWORD})
    assert r.status_code == 303, r.text
    location = r.headers["Location"]
    assert location.startswith("/") or location.startswith(f"{site}/")  # stays on https
    (session,) = [c for c in r.raw.headers.getlist("Set-Cookie")
                  if c.startswith("playclock_hub=")]
    assert "; Secure" in session and "; HttpOnly" in session, session
    (csrf,) = [c for c in first.raw.headers.getlist("Set-Cookie")
               if c.startswith("playclock_hub_csrf=")]
    assert "; Secure" in csrf, csrf
    r = web.get(f"{site}{location}" if location.startswith("/") else location, timeout=10)
    assert r.status_code == 200 and r.url.startswith(f"{site}/")

    # The hub builds its own address from what the browser used: https and Caddy's host.
    devices = web.get(f"{site}/devices", timeout=10)
    r = web.post(f"{site}/devices/pair", headers=origin, timeout=10,
                 data={"csrf": csrf_of(devices.text)})
    assert r.status_code == 200, r.text
    command = re.search(r'id="pair-command"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*'
                        r'id="pair-command"', r.text)
    assert command is not None
    code = (command[1] or command[2]).split()[-1]
    assert (command[1] or command[2]) == f"playclock sync pair {site} {code}"
    # A form posted from another site is refused (the Host the hub sees is Caddy's site).
    r = web.post(f"{site}/devices/pair", headers={"Origin": "https://evil.example"},
                 timeout=10, data={"csrf": csrf_of(devices.text)})
    assert r.status_code == 403

    # A device pairs with that code and uploads a day, all through Caddy.
    api = HubApi(site)
    api.http.trust_env = False
    api.http.verify = str(caddy.root_ca)
    paired = api.call("POST", "/v1/devices/pair", json={
        "code": code, "device_name": "PC", "consents": [api.consent_body("An")]})
    assert paired.status_code == 201, paired.text
    token = paired.json()["device_token"]
    consent = paired.json()["consents"][0]["consent_id"]
    r = api.upload(token, consent, "An", "2026-01-05", 1, 1800)
    assert r.status_code == 200, r.text
    login = api.call("POST", "/v1/login", json={"email": email, "password": PASSWORD})
    parent = login.json()["token"]
    day = api.call("GET", "/v1/children/An/days/2026-01-05", parent).json()
    assert day["total_seconds"] == 1800
    assert "Traceback" not in hub.log_text()
