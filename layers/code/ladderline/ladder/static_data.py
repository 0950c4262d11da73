"""Countries, races, regions and maps: shipped with the code, read once per container.

The old bot read these from the database on every command; they change only with a deploy,
so they live in ladder/data/*.json and are parsed lazily on first use (cold starts that never
touch them pay nothing). Autocomplete must answer in-line within Discord's 3 seconds and
return at most 25 choices, hence search_countries works on a precomputed, normalised index.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# Discord caps autocomplete results (and select menu options) at 25.
MAX_CHOICES = 25

_REGIONAL_INDICATOR_A = 0x1F1E6


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    iso_name: str

    @property
    def flag(self) -> str:
        return flag_emoji(self.code)


@dataclass(frozen=True)
class Race:
    code: str
    name: str
    short: str
    game: str


@dataclass(frozen=True)
class Region:
    code: str
    name: str


@dataclass(frozen=True)
class LadderMap:
    code: str
    name: str


def _load(filename: str, key: str) -> list[dict[str, Any]]:
    text = resources.files("ladderline.ladder").joinpath("data", filename).read_text(encoding="utf-8")
    return list(json.loads(text)[key])


def _normalise(text: str) -> str:
    """Case- and accent-insensitive form: 'Côte d'Ivoire' and 'cote d'ivoire' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


# --- countries -------------------------------------------------------------------------------
@cache
def countries() -> tuple[Country, ...]:
    """All ISO 3166-1 alpha-2 countries, ordered by name."""
    rows = _load("countries.json", "countries")
    found = (Country(r["code"], r["name"], r.get("iso_name", r["name"])) for r in rows)
    return tuple(sorted(found, key=lambda c: (_normalise(c.name), c.code)))


@cache
def _countries_by_code() -> dict[str, Country]:
    return {c.code: c for c in countries()}


@cache
def _country_index() -> tuple[tuple[Country, str, tuple[str, ...]], ...]:
    """(country, normalised code, normalised names) in name order."""
    index = []
    for c in countries():
        names = tuple(dict.fromkeys((_normalise(c.name), _normalise(c.iso_name))))
        index.append((c, c.code.casefold(), names))
    return tuple(index)


def country(code: str) -> Country | None:
    return _countries_by_code().get(code.strip().upper())


def flag_emoji(code: str) -> str:
    """The flag of an ISO alpha-2 code: two regional indicator symbols (e.g. DE -> 🇩🇪)."""
    code = code.strip().upper()
    if len(code) != 2 or not all("A" <= ch <= "Z" for ch in code):
        raise ValueError(f"not a two-letter country code: {code!r}")
    return "".join(chr(_REGIONAL_INDICATOR_A + ord(ch) - ord("A")) for ch in code)


def search_countries(text: str, limit: int = MAX_CHOICES) -> list[Country]:
    """Countries for autocomplete, best first, at most `limit`.

    Order: exact code, then code or name prefix, then substring of a name; each group by name.
    Empty text gives the first `limit` countries by name.
    """
    if limit <= 0:
        return []
    query = _normalise(text)
    if not query:
        return list(countries()[:limit])
    exact: list[Country] = []
    prefix: list[Country] = []
    substring: list[Country] = []
    for c, code, names in _country_index():
        if code == query:
            exact.append(c)
        elif code.startswith(query) or any(name.startswith(query) for name in names):
            prefix.append(c)
        elif any(query in name for name in names):
            substring.append(c)
    return (exact + prefix + substring)[:limit]


def closest_countries(text: str, n: int = 3) -> list[Country]:
    """The countries whose name looks most like `text` (for "unknown country, did you mean ...")."""
    query = _normalise(text)
    if not query or n <= 0:
        return []
    by_name: dict[str, Country] = {}
    for c, _code, names in _country_index():
        for name in names:
            by_name.setdefault(name, c)
    result: list[Country] = []
    for name in difflib.get_close_matches(query, list(by_name), n=n * 2, cutoff=0.5):
        if by_name[name] not in result:
            result.append(by_name[name])
    return result[:n]


# --- races, regions, maps ----------------------------------------------------------------------
@cache
def races() -> tuple[Race, ...]:
    return tuple(Race(r["code"], r["name"], r["short"], r["game"]) for r in _load("races.json", "races"))


def race(code: str) -> Race | None:
    return _races_by_code().get(code.strip().lower())


@cache
def _races_by_code() -> dict[str, Race]:
    return {r.code: r for r in races()}


@cache
def regions() -> tuple[Region, ...]:
    return tuple(Region(r["code"], r["name"]) for r in _load("regions.json", "regions"))


def region(code: str) -> Region | None:
    return _regions_by_code().get(code.strip().upper())


@cache
def _regions_by_code() -> dict[str, Region]:
    return {r.code: r for r in regions()}


@cache
def maps() -> tuple[LadderMap, ...]:
    return tuple(LadderMap(m["code"], m["name"]) for m in _load("maps.json", "maps"))


def ladder_map(code: str) -> LadderMap | None:
    return next((m for m in maps() if m.code == code.strip().lower()), None)
