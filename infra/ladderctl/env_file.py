"""`ladderctl --env-file .env`: settings from a file, for `make dev` / `make demo` (see .env.example).

The format is the common subset: KEY=value lines, `#` comments, blank lines, an optional `export `
prefix, and values optionally in single or double quotes (kept verbatim inside). Variables already
in the environment win, so `DATABASE_URL=... make dev` still overrides the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import MutableMapping
from pathlib import Path

_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)")


class EnvFileError(ValueError):
    """A line that is not KEY=value: one readable line naming it."""


def parse(text: str, source: str = ".env") -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        found = _LINE.fullmatch(line)
        if not found:
            raise EnvFileError(f"{source}:{number}: expected KEY=value, got {line[:40]!r}")
        key, value = found.group(1), found.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()  # a trailing comment after an unquoted value
        values[key] = value
    return values


def load(path: Path, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Set the file's variables that the environment does not already have; returns their names."""
    environ = os.environ if environ is None else environ
    values = parse(Path(path).read_text(encoding="utf-8"), str(path))
    applied = [key for key, value in values.items() if value != "" and key not in environ]
    for key in applied:
        environ[key] = values[key]
    return applied
