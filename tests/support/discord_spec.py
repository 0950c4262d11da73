"""Discord's OpenAPI schemas for the bodies we send, from the copy in tests/fixtures (see its `source`)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "discord_component_schemas.json"


@cache
def schemas() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["components"]["schemas"]


def schema_errors(name: str, body: Any) -> list[str]:
    """Where `body` breaks the spec's schema `name` (empty: the spec accepts it)."""
    root = {"$ref": f"#/components/schemas/{name}", "components": {"schemas": schemas()}}
    validator = Draft202012Validator(root)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body))


def ref_names(schema: dict[str, Any]) -> set[str]:
    """The schema names a oneOf (of `items` or directly) lists."""
    one_of = schema.get("items", schema).get("oneOf", [])
    return {entry["$ref"].rsplit("/", 1)[1] for entry in one_of if "$ref" in entry}


def component_type(name: str) -> int:
    """The `type` constant a *Component*Request schema declares."""
    [value] = schemas()[name]["properties"]["type"]["enum"]
    return int(value)
