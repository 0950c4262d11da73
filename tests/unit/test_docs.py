"""The README and docs/: every link resolves (files and #anchors), and every `make` target and
`ladderctl` command they name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ladderctl.cli import SUBCOMMANDS

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        slug = _slug(heading)
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return anchors


def _links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return [a or b for a, b in LINK.findall(text)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves(page: Path) -> None:
    broken = []
    for target in _links(page):
        if re.match(r"^(https?|mailto):", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists() or anchor and file.suffix == ".md" and anchor not in _anchors(file):
            broken.append(target)
    assert broken == []


def test_the_readme_is_short_and_says_what_the_bot_is_first() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    first_screen = "\n".join(text.splitlines()[:12])
    assert "SC: Evo Complete" in first_screen and "Discord" in first_screen and "AWS" in first_screen
    assert "make dev" in text and "make test" in text


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_make_target_and_ladderctl_command_named_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    named_targets = set(re.findall(r"\bmake ([a-z][a-z-]+)\b", text)) - {"sure"}
    assert named_targets - _make_targets() == set()
    named_commands = set(re.findall(r"\bladderctl (?:--env-file \S+ )?([a-z][a-z-]+)\b", text))
    assert named_commands - set(SUBCOMMANDS) == set()


def _documented_rows() -> list[str]:
    """Every variable named in the first column of a table row, across README and docs/."""
    names = []
    for page in PAGES:
        for row in re.findall(r"^\| (`[A-Z][^|]*)\|", page.read_text(encoding="utf-8"), re.MULTILINE):
            names.extend(re.findall(r"`([A-Z][A-Z0-9_]+)(?:=[^`]*)?`", row))
    return names


def test_every_setting_is_documented_once_and_every_documented_setting_exists() -> None:
    source = (ROOT / "layers" / "code" / "ladderline" / "settings.py").read_text(encoding="utf-8")
    settings = set(re.findall(r'^[A-Z_]+ = "([A-Z][A-Z0-9_]+)"', source, re.MULTILINE))
    rows = _documented_rows()
    # Read by ladderctl and the tests, or by boto3 itself (AWS_PROFILE), not by the functions.
    tooling = {"PG_BIN", "TEST_DATABASE_URL", "LADDER_USE_REAL_AWS", "LADDERCTL_DEBUG", "AWS_PROFILE"}
    assert settings - set(rows) == set(), "settings.py names with no row in docs/deploying.md"
    assert set(rows) - settings - tooling == set(), "documented names that nothing reads"
    # One place for each fact: a setting has one row (the local table only lists local-only switches).
    assert sorted(n for n in set(rows) if rows.count(n) > 1) == []


def test_the_env_example_names_only_documented_settings() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert named and named - set(_documented_rows()) - {"AWS_PROFILE"} == set()
