"""Password KDF, tokens and pairing codes of the hub."""

from __future__ import annotations

import hashlib
import string

import pytest

from agent.platform.peer import is_loopback
from sync.hub.security import (
    CODE_ALPHABET,
    DEVICE_TOKEN_PREFIX,
    ScryptParams,
    digest,
    hash_password,
    new_pairing_code,
    new_token,
    normalize_code,
    verify_password,
)
from sync.hub.serve import parse_listen

FAST = ScryptParams(n=2**10, r=8, p=1)


def test_scrypt_hash_stores_its_parameters_and_verifies() -> None:
    stored = hash_password("mật khẩu dài", FAST)
    scheme, params, salt, key = stored.split("$")
    assert (scheme, params) == ("scrypt", "n=1024,r=8,p=1")
    assert len(salt) == 22 and len(key) == 43  # 16-byte salt, 32-byte key, base64
    assert verify_password("mật khẩu dài", stored)
    assert not verify_password("mật khẩu dai", stored)
    assert hash_password("mật khẩu dài", FAST) != stored  # fresh salt every time


def test_verification_uses_the_stored_parameters_not_the_defaults() -> None:
    stored = hash_password("pw-12345", ScryptParams(n=2**11, r=4, p=2))
    assert verify_password("pw-12345", stored)


def test_the_default_cost_is_a_modern_one() -> None:
    params = ScryptParams()
    assert params.n >= 2**15 and params.r >= 8
    assert hash_password("x", params).startswith(f"scrypt$n={params.n},r={params.r},")


@pytest.mark.parametrize("stored", [
    "", "plain", "md5$abc", "scrypt$n=1024$abc$def", "scrypt$n=x,r=8,p=1$AAAA$AAAA",
    "scrypt$n=2097152,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAA",  # absurd cost: refused, not run
    "pbkdf2$n=1024,r=8,p=1$AAAA$AAAA",
])
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert verify_password("anything", stored) is False


def test_tokens_are_random_prefixed_and_stored_as_sha256() -> None:
    tokens = {new_token(DEVICE_TOKEN_PREFIX) for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert token.startswith("pcd_") and len(token) >= 40
    assert digest(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len(digest(token)) == 64


def test_pairing_codes_are_8_unambiguous_characters() -> None:
    codes = [new_pairing_code() for _ in range(200)]
    assert all(len(c) == 8 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set(CODE_ALPHABET) & set("ILOU" + string.ascii_lowercase)
    assert len(set(codes)) == 200


@pytest.mark.parametrize(("typed", "code"), [
    ("abcd-efgh", "ABCDEFGH"), (" 1o2i 3l4k ", "1021314K"),
    ("ABCD EFGH", "ABCDEFGH"),
])
def test_typed_codes_are_normalized(typed: str, code: str) -> None:
    assert normalize_code(typed) == code


@pytest.mark.parametrize(("listen", "expected"), [
    ("127.0.0.1:7380", ("127.0.0.1", 7380)), ("[::1]:8000", ("::1", 8000)),
    ("hub.example:443", ("hub.example", 443)),
])
def test_parse_listen(listen: str, expected: tuple[str, int]) -> None:
    assert parse_listen(listen) == expected


@pytest.mark.parametrize("listen", ["7380", ":7380", "host:", "host:http", "host:70000"])
def test_parse_listen_rejects(listen: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen(listen)


def test_loopback_detection_for_the_tls_warning() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    assert not is_loopback("hub.example")
