"""The phone's side of Web Push for tests: a subscription's keys, and decrypting what arrives."""

from __future__ import annotations

import base64
import json
from typing import Any

__all__ = ["PhoneKeys"]


class PhoneKeys:
    """The browser's side of a push subscription: its P-256 key pair and auth secret."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        self.key = ec.generate_private_key(ec.SECP256R1())
        point = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        self.auth = b"0123456789abcdef"
        self.p256dh = base64.urlsafe_b64encode(point).decode().rstrip("=")
        self.auth_b64 = base64.urlsafe_b64encode(self.auth).decode().rstrip("=")

    def decrypt_text(self, body: bytes) -> str:
        """What the push service hands the phone, decrypted as the browser does (aes128gcm)."""
        import http_ece

        data: bytes = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                       version="aes128gcm")
        return data.decode("utf-8")

    def decrypt(self, body: bytes) -> dict[str, Any]:
        """The decrypted message as JSON."""
        result: dict[str, Any] = json.loads(self.decrypt_text(body))
        return result
