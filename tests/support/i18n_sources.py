"""Every English text the bot translates, read from the code: the first argument of each call of
a translator (`tx("...")`, `ctx.tx("...")`) and of each `N_("...")` marker, when it is a string
literal (ladderline.ladder.i18n). A call with anything else first (`tx(TABLE[key])`) is a lookup of
a marked text and is checked through its marker."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import ladderline

ROOT = Path(ladderline.__file__).parent
TRANSLATORS = frozenset({"tx", "N_"})


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def sources() -> dict[str, list[str]]:
    """English text -> where it is used (path:line)."""
    found: dict[str, list[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in TRANSLATORS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.setdefault(first.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
