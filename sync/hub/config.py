"""The hub's config file (`hub.toml`): public URL, database, SMTP and Web Push settings."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["HubConfig", "PushSettings", "SmtpSettings", "load_config", "write_config"]


@dataclass(frozen=True)
class SmtpSettings:
    """Where notification e-mails go out (plain SMTP, STARTTLS or implicit TLS)."""

    host: str
    port: int = 587
    sender: str = "PlayClock <playclock@localhost>"
    username: str | None = None
    password: str | None = None
    security: str = "starttls"  # "starttls" | "tls" | "none"
    timeout: float = 10.0


@dataclass(frozen=True)
class PushSettings:
    """VAPID keys of this hub for Web Push (made by `playclock hub init`)."""

    private_key_pem: str
    public_key: str  # base64url of the uncompressed P-256 point, the browser's applicationServerKey
    subject: str = "mailto:admin@localhost"


@dataclass(frozen=True)
class HubConfig:
    """Everything in `hub.toml`; every part is optional."""

    db_url: str | None = None
    listen: str | None = None
    public_url: str | None = None
    smtp: SmtpSettings | None = None
    push: PushSettings | None = None


def _str(table: dict[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}.{key}: expected a string")
    return value


def load_config(path: Path) -> HubConfig:
    """Read `hub.toml`; ValueError with the field for anything malformed."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: {exc}") from None
    hub = data.get("hub", {})
    smtp_t = data.get("smtp")
    push_t = data.get("push")
    smtp = None
    if isinstance(smtp_t, dict) and smtp_t.get("host"):
        port = smtp_t.get("port", 587)
        security = smtp_t.get("security", "starttls")
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"{path}: smtp.port: expected a port number")
        if security not in ("starttls", "tls", "none"):
            raise ValueError(f"{path}: smtp.security: expected starttls, tls or none")
        smtp = SmtpSettings(
            host=str(smtp_t["host"]), port=port, security=security,
            sender=_str(smtp_t, "sender", "smtp") or SmtpSettings.sender,
            username=_str(smtp_t, "username", "smtp"),
            password=_str(smtp_t, "password", "smtp"))
    push = None
    if isinstance(push_t, dict) and push_t.get("private_key_file"):
        key_file = Path(str(push_t["private_key_file"]))
        if not key_file.is_absolute():
            key_file = path.parent / key_file
        public = _str(push_t, "public_key", "push")
        if not public:
            raise ValueError(f"{path}: push.public_key is missing")
        push = PushSettings(private_key_pem=key_file.read_text(encoding="ascii"),
                            public_key=public,
                            subject=_str(push_t, "subject", "push") or PushSettings.subject)
    return HubConfig(db_url=_str(hub, "db", "hub"), listen=_str(hub, "listen", "hub"),
                     public_url=_str(hub, "public_url", "hub"), smtp=smtp, push=push)


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def write_config(path: Path, config: HubConfig, *, push_key_file: str | None) -> None:
    """Write `hub.toml` (mode 0600: it may hold the SMTP password)."""
    lines = ["# PlayClock family hub (written by `playclock hub init`)", "[hub]"]
    for key, value in (("db", config.db_url), ("listen", config.listen),
                       ("public_url", config.public_url)):
        if value:
            lines.append(f"{key} = {_toml_str(value)}")
    if config.smtp:
        s = config.smtp
        lines += ["", "[smtp]", f"host = {_toml_str(s.host)}", f"port = {s.port}",
                  f"security = {_toml_str(s.security)}", f"sender = {_toml_str(s.sender)}"]
        if s.username:
            lines.append(f"username = {_toml_str(s.username)}")
        if s.password:
            lines.append(f"password = {_toml_str(s.password)}")
    if config.push and push_key_file:
        lines += ["", "[push]", f"private_key_file = {_toml_str(push_key_file)}",
                  f"public_key = {_toml_str(config.push.public_key)}",
                  f"subject = {_toml_str(config.push.subject)}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
