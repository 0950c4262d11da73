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
    game: str  # "bw" (Brood War) or "sc2" (StarCraft II): a match is always one of each
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Region:
    """A residential region (where a player lives), picked in /setup."""

    code: str
    name: str
    globe: str = ""


@dataclass(frozen=True)
class GameServer:
    code: str
    name: str
    short_name: str
    game_region: str  # the Battle.net region (AM/EU/AS) whose map and mod links apply


@dataclass(frozen=True)
class LadderMap:
    code: str  # our stable key (vetoes, matches, custom_ids)
    name: str  # the in-game name
    short_name: str = ""
    game: str = ""
    author: str = ""
    ids: tuple[tuple[str, int], ...] = ()  # (Battle.net region, map id)

    def link(self, game_region: str) -> str | None:
        return battlenet_link(dict(self.ids).get(game_region), game_region)


# Battle.net's region numbers in a map link: 1 Americas, 2 Europe, 3 Asia.
_LINK_REGION = {"AM": 1, "EU": 2, "AS": 3}


def battlenet_link(map_id: int | None, game_region: str) -> str | None:
    if map_id is None or game_region not in _LINK_REGION:
        return None
    return f"battlenet:://starcraft/map/{_LINK_REGION[game_region]}/{map_id}"


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
    """All ISO 3166-1 alpha-2 countries and the original's XX / ZZ, ordered by name."""
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


# The original ladder's two codes outside ISO's assignments: no country's flag for them.
SPECIAL_COUNTRIES = frozenset({"XX", "ZZ"})
WHITE_FLAG = "🏳️"


def flag_emoji(code: str) -> str:
    """The flag of an ISO alpha-2 code: two regional indicator symbols (e.g. DE -> 🇩🇪); a white
    flag for XX (Nonrepresenting) and ZZ (Other), whose indicators no client draws as a flag."""
    code = code.strip().upper()
    if len(code) != 2 or not all("A" <= ch <= "Z" for ch in code):
        raise ValueError(f"not a two-letter country code: {code!r}")
    if code in SPECIAL_COUNTRIES:
        return WHITE_FLAG
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


# --- races, regions, servers, maps ------------------------------------------------------------
@cache
def races() -> tuple[Race, ...]:
    return tuple(Race(r["code"], r["name"], r["short"], r["game"], tuple(r.get("aliases", ())))
                 for r in _load("races.json", "races"))


def race(code: str) -> Race | None:
    return _races_by_code().get(code.strip().lower())


@cache
def _races_by_code() -> dict[str, Race]:
    return {r.code: r for r in races()}


def races_of(game: str) -> tuple[Race, ...]:
    return tuple(r for r in races() if r.game == game)


@cache
def _regions_file() -> dict[str, Any]:
    text = resources.files("ladderline.ladder").joinpath("data", "regions.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


@cache
def regions() -> tuple[Region, ...]:
    return tuple(Region(r["code"], r["name"], r["globe"]) for r in _regions_file()["regions"])


def region(code: str) -> Region | None:
    return _regions_by_code().get(code.strip().upper())


@cache
def _regions_by_code() -> dict[str, Region]:
    return {r.code: r for r in regions()}


@cache
def servers() -> tuple[GameServer, ...]:
    return tuple(GameServer(s["code"], s["name"], s["short_name"], s["game_region"])
                 for s in _regions_file()["servers"])


def server(code: str) -> GameServer | None:
    return next((s for s in servers() if s.code == code), None)


@cache
def server_table() -> dict[frozenset[str], str]:
    """{frozenset({region_1, region_2}): server code}; a frozenset makes the look-up symmetric."""
    table = _regions_file()["server_table"]
    order = table["region_order"]
    out: dict[frozenset[str], str] = {}
    for first in order:
        for second, code in zip(order, table["rows"][first].split(), strict=True):
            key = frozenset((first, second))
            if out.setdefault(key, code) != code:
                raise ValueError(f"server_table is not symmetric at {first}/{second}")
    return out


# Where neither player's region is known (never for players who finished /setup).
DEFAULT_REGION = "NAC"


def server_for(region_1: str | None, region_2: str | None) -> GameServer:
    """The server two players play on; a missing region borrows the opponent's."""
    first = region_1 or region_2 or DEFAULT_REGION
    second = region_2 or first
    found = server(server_table()[frozenset((first, second))])
    assert found is not None
    return found


@cache
def blocked_pairs() -> frozenset[frozenset[str]]:
    return frozenset(frozenset(pair) for pair in _regions_file()["blocked_pairs"])


def is_blocked(region_1: str | None, region_2: str | None) -> bool:
    """Region pairs whose connection is unplayable: they are never matched."""
    return frozenset((region_1 or "", region_2 or "")) in blocked_pairs()


@cache
def _maps_file() -> dict[str, Any]:
    text = resources.files("ladderline.ladder").joinpath("data", "maps.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


@cache
def maps() -> tuple[LadderMap, ...]:
    return tuple(LadderMap(m["code"], m["name"], m["short_name"], m["game"], m["author"],
                           tuple(sorted(m["ids"].items())))
                 for m in _maps_file()["maps"])


def ladder_map(code: str) -> LadderMap | None:
    return next((m for m in maps() if m.code == code.strip().lower()), None)


def max_vetoes() -> int:
    return int(_maps_file()["max_vetoes"])


@cache
def mod() -> dict[str, Any]:
    """The one mod every match runs with (name, author, Battle.net ids per region)."""
    return dict(_maps_file()["mod"])


@cache
def lobby_settings() -> dict[str, str]:
    return dict(_maps_file()["lobby"])
