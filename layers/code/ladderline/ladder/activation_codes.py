"""Activation codes: how a code is written, normalised and stored (only as its hash).

activation_codes.code_hash holds sha256 hex of the trimmed, upper-cased code, so a database read
does not leak usable codes; /activate hashes what the player typed the same way.
"""

from __future__ import annotations

import hashlib
import secrets

# Codes people type: no 0/O, 1/I/L. 12 characters of 31: ~59 bits, far beyond guessing through
# Discord's rate limits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_GROUPS, CODE_GROUP_LENGTH = 3, 4


def normalise_code(code: str) -> str:
    return code.strip().upper()


def hash_code(code: str) -> str:
    """What activation_codes.code_hash holds for `code`: sha256 hex of the trimmed, upper-cased code."""
    return hashlib.sha256(normalise_code(code).encode("utf-8")).hexdigest()


def new_code() -> str:
    """A fresh activation code, e.g. `7KQ2-MX9A-P4RT`."""
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
                    for _ in range(CODE_GROUPS))
