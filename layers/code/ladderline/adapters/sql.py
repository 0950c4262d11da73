"""SQL text with safely quoted literals, for one-round-trip transactions.

pg8000's parameterised run() costs three network round trips (Parse, Describe, Bind/Execute,
each followed by Sync) and named prepared statements pin RDS Proxy connections. Commands therefore
send one simple-query message (`BEGIN; <statement>; COMMIT`) whose values are quoted here. The
connection factory refuses servers without standard_conforming_strings, under which doubling
single quotes is the complete escaping rule for a string literal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any


class UnsafeLiteral(ValueError):
    pass


def literal(value: Any) -> str:
    """A SQL literal for value (None, bool, int, float, str, datetime, or a dict/list as jsonb)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnsafeLiteral("non-finite float")
        return repr(value)
    if isinstance(value, str):
        if "\x00" in value:
            # PostgreSQL text cannot hold NUL; refusing is better than truncating.
            raise UnsafeLiteral("NUL character in text")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise UnsafeLiteral("naive datetime")
        return literal(value.isoformat()) + "::timestamptz"
    if isinstance(value, (dict, list)):
        return literal(json.dumps(value, ensure_ascii=False, separators=(",", ":"))) + "::jsonb"
    raise UnsafeLiteral(f"cannot quote {type(value).__name__}")


def text_array(values: Iterable[str]) -> str:
    return "ARRAY[" + ",".join(literal(str(v)) for v in values) + "]::text[]"


def call(function: str, *args: Any) -> str:
    """`SELECT function(args...)` for a SQL function returning one jsonb value."""
    if not function.replace("_", "").replace(".", "").isalnum():
        raise UnsafeLiteral(f"bad function name {function!r}")
    return f"SELECT {function}({', '.join(literal(a) for a in args)})"
