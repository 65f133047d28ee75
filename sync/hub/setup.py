"""`playclock hub init`: create the database, the VAPID keys, `hub.toml` and the first family."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from sync.hub.config import HubConfig, PushSettings, SmtpSettings, load_config, write_config
from sync.hub.db import Database, default_data_dir
from sync.hub.models import Family, Parent
from sync.hub.security import ScryptParams, hash_password

__all__ = ["InitRequest", "InitResult", "init_hub", "new_vapid_keys"]


@dataclass(frozen=True)
class InitRequest:
    """What `hub init` was asked for (from flags or questions; no argparse here)."""

    data_dir: Path | None = None
    db_url: str | None = None
    listen: str = "127.0.0.1:7380"
    public_url: str | None = None
    family_name: str | None = None
    parent_email: str | None = None
    parent_password: str | None = None
    parent_name: str | None = None
    smtp: SmtpSettings | None = None
    push_subject: str = "mailto:admin@localhost"
    scrypt: ScryptParams = field(default_factory=ScryptParams)


@dataclass(frozen=True)
class InitResult:
    """What `hub init` made."""

    config_path: Path
    db_url: str
    push_key_path: Path
    public_key: str
    family_id: int | None
    created_keys: bool
    app_url: str


def new_vapid_keys() -> tuple[str, str]:
    """A fresh VAPID key pair: (private key PEM, public key as base64url of the P-256 point)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    point = key.public_key().public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    return pem, base64.urlsafe_b64encode(point).decode("ascii").rstrip("=")


def _public_of(pem: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the VAPID key is not an elliptic-curve key")
    point = key.public_key().public_bytes(serialization.Encoding.X962,
                                          serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).decode("ascii").rstrip("=")


def init_hub(req: InitRequest) -> InitResult:
    """Create (or complete) a hub in a data directory; running it again keeps what exists.

    Raises ValueError for bad input (e.g. an e-mail that already has a login elsewhere).
    """
    data_dir = req.data_dir or default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = data_dir / "hub.toml"
    old = load_config(config_path) if config_path.is_file() else HubConfig()
    db_url = req.db_url or old.db_url or f"sqlite:///{data_dir / 'hub.sqlite'}"
    key_path = data_dir / "vapid_private.pem"
    created = not key_path.is_file()
    if created:
        pem, public = new_vapid_keys()
        key_path.touch(mode=0o600)
        key_path.chmod(0o600)
        key_path.write_text(pem, encoding="ascii")
    else:
        pem = key_path.read_text(encoding="ascii")
        public = _public_of(pem)
    subject = old.push.subject if old.push and req.push_subject == InitRequest.push_subject \
        else req.push_subject
    config = replace(old, db_url=db_url, listen=req.listen or old.listen,
                     public_url=req.public_url or old.public_url,
                     smtp=req.smtp or old.smtp,
                     push=PushSettings(private_key_pem=pem, public_key=public, subject=subject))
    db = Database(db_url)
    try:
        db.create_schema()
        family_id = _first_family(db, req)
    finally:
        db.dispose()
    write_config(config_path, config, push_key_file=key_path.name)
    host = (config.listen or "127.0.0.1:7380")
    app_url = (config.public_url or f"http://{host}").rstrip("/") + "/"
    return InitResult(config_path=config_path, db_url=db_url, push_key_path=key_path,
                      public_key=public, family_id=family_id, created_keys=created,
                      app_url=app_url)


def _first_family(db: Database, req: InitRequest) -> int | None:
    if not (req.family_name and req.parent_email and req.parent_password):
        return None
    email = req.parent_email.strip().lower()
    if len(req.parent_password) < 8:
        raise ValueError("the password needs at least 8 characters")
    if "@" not in email:
        raise ValueError(f"{req.parent_email!r} is not an e-mail address")
    with db.begin() as s:
        found = s.execute(select(Parent.family_id).where(Parent.email == email)).scalar()
        if found is not None:
            return int(found)  # already made by an earlier `hub init`
    password_hash = hash_password(req.parent_password, req.scrypt)
    now = datetime.now(UTC)
    with db.begin() as s:
        family = Family(name=req.family_name.strip()[:100], created_at=now)
        s.add(family)
        s.flush()
        s.add(Parent(family_id=family.id, email=email, created_at=now,
                     name=(req.parent_name or email.split("@")[0])[:100],
                     password_hash=password_hash))
        s.flush()
        return int(family.id)
