"""API keys: random tokens, stored as their SHA-256, each with scopes; ``Authorization: Bearer KEY``.

A key is 32 random bytes (``new_key``), so it cannot be guessed or brute-forced from its hash: a salted,
deliberately slow hash (scrypt, PBKDF2) protects low-entropy passwords and would cost milliseconds on every
request for no gain (ADR 0008). Each presented key is hashed once and compared with every configured hash
in constant time (``hmac.compare_digest``, no early exit), so timing says nothing about which bytes matched.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from ..config import ApiKeySettings
from ..errors import Forbidden, Unauthenticated

#: what every key starts with: easy to spot in a leaked file or a secret scanner's rules
KEY_PREFIX = "isk_"
SCOPES = ("read", "score")


def new_key() -> str:
    """A new random API key (``isk_`` + 43 URL-safe characters: 256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The hex SHA-256 of ``key``: what ``[[serve.api_keys]]`` stores."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """A key that was let in: its name (for logs, metrics and rate buckets) and scopes."""

    name: str
    scopes: frozenset[str]


class KeyRing:
    """The configured keys; ``check(header, scope)`` answers who is calling or raises 401/403."""

    def __init__(self, keys: list[ApiKeySettings]) -> None:
        self._keys = [(bytes.fromhex(k.sha256), ApiKey(k.name, frozenset(k.scopes))) for k in keys]

    def check(self, authorization: str | None, scope: str) -> ApiKey:
        key = self.identify(authorization)
        if scope not in key.scopes:
            raise Forbidden(f"API key {key.name!r} lacks the scope {scope!r}.",
                            hint=f"Use a key with scope {scope!r}, or add it to that key's scopes in [[serve.api_keys]].")
        return key

    def identify(self, authorization: str | None) -> ApiKey:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("No API key.", hint="Send the header `Authorization: Bearer KEY` "
                                  "(`intentseg api-key` makes a key and its config entry).")
        digest = hashlib.sha256(token.strip().encode("utf-8")).digest()
        found: ApiKey | None = None
        for stored, key in self._keys:  # every key compared, in constant time: no early exit
            if hmac.compare_digest(stored, digest):
                found = key
        if found is None:
            raise Unauthenticated("Unknown API key.", hint="Check the key, or add its SHA-256 to [[serve.api_keys]] "
                                  "(`intentseg api-key`).")
        return found
