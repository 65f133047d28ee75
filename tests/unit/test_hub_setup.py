"""`hub init`: database, VAPID keys, hub.toml and the first family; running it twice is safe."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from sync.hub.config import SmtpSettings, load_config
from sync.hub.db import Database
from sync.hub.models import Family, Parent
from sync.hub.security import ScryptParams, verify_password
from sync.hub.serve import settings_from
from sync.hub.setup import InitRequest, init_hub

FAST = ScryptParams(n=2**4, r=1, p=1)


def test_init_creates_database_keys_config_and_first_family(tmp_path: Path) -> None:
    result = init_hub(InitRequest(
        data_dir=tmp_path, public_url="https://hub.example.vn", family_name="Gia đình Trần",
        parent_email="Me@Example.vn", parent_password="mật khẩu dài", parent_name="Mẹ",
        smtp=SmtpSettings(host="smtp.example.vn", port=465, security="tls",
                          username="hub", password='p"w'), scrypt=FAST))
    assert result.config_path == tmp_path / "hub.toml"
    assert result.app_url == "https://hub.example.vn/"
    assert result.created_keys and result.family_id is not None
    for secret in (result.config_path, result.push_key_path):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    config = load_config(result.config_path)
    assert config.db_url == f"sqlite:///{tmp_path / 'hub.sqlite'}"
    assert config.smtp == SmtpSettings(host="smtp.example.vn", port=465, security="tls",
                                       username="hub", password='p"w')
    assert config.push is not None and config.push.public_key == result.public_key
    assert len(config.push.public_key) == 87  # base64url of a 65-byte P-256 point
    settings = settings_from(config)
    assert settings.push is not None and settings.public_url == "https://hub.example.vn"
    db = Database(result.db_url)
    with db.begin() as s:
        family = s.execute(select(Family)).scalar_one()
        parent = s.execute(select(Parent)).scalar_one()
    db.dispose()
    assert family.name == "Gia đình Trần" and parent.email == "me@example.vn"
    assert verify_password("mật khẩu dài", parent.password_hash)


def test_init_twice_keeps_keys_family_and_settings(tmp_path: Path) -> None:
    first = init_hub(InitRequest(data_dir=tmp_path, family_name="F", parent_email="a@b.vn",
                                 parent_password="12345678", scrypt=FAST,
                                 public_url="https://x.vn"))
    second = init_hub(InitRequest(data_dir=tmp_path, family_name="F", parent_email="a@b.vn",
                                  parent_password="12345678", scrypt=FAST))
    assert not second.created_keys and second.public_key == first.public_key
    assert second.family_id == first.family_id
    assert load_config(second.config_path).public_url == "https://x.vn"


def test_init_without_a_family_and_bad_input(tmp_path: Path) -> None:
    result = init_hub(InitRequest(data_dir=tmp_path))
    assert result.family_id is None and result.app_url == "http://127.0.0.1:7380/"
    with pytest.raises(ValueError, match="8 characters"):
        init_hub(InitRequest(data_dir=tmp_path, family_name="F", parent_email="a@b.vn",
                             parent_password="short", scrypt=FAST))


def test_a_broken_config_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text("[smtp]\nhost = 'x'\nport = 'many'\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"smtp\.port"):
        load_config(path)
    path.write_text("[hub\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"hub\.toml"):
        load_config(path)


def test_playclock_hub_init_from_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from playclock.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("mật khẩu dài\n"))
    monkeypatch.setenv("PLAYCLOCK_SMTP_PASSWORD", "smtp secret")
    code = main(["--data-dir", str(tmp_path), "hub", "init", "--family", "Gia đình Lê",
                 "--email", "Bo@Example.vn", "--password-stdin", "--public-url",
                 "https://hub.example.vn", "--smtp-host", "smtp.example.vn", "--smtp-user",
                 "hub"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "https://hub.example.vn/" in out and "bo@example.vn" in out
    config = load_config(tmp_path / "hub.toml")
    assert config.smtp is not None and config.smtp.password == "smtp secret"
    assert config.push is not None
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["--data-dir", str(tmp_path), "hub", "init", "--family", "X", "--email",
                 "x@example.vn"]) == 2  # no password: stdin is not a terminal
