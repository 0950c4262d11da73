"""Does a replay settle a match? Every check of the original ladder (DOMAIN §5.3), each shown to
the players as ✅/❌ with what was found, and who won in the match's terms.

Pure: a ReplaySummary (parse.py) and the match as `ladder_match_json` answers it; no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from ladderline.ladder import static_data
from ladderline.ladder.labels import display_text
from ladderline.replays.summary import ReplayPlayer, ReplaySummary

# The lobby a ladder game is played in (attribute block 16 of the replay).
LOBBY = (("Game Privacy", "Normal"), ("Game Speed", "Faster"), ("Game Duration", "Infinite"),
         ("Locked Alliances", "Yes"))
# A replay whose game started more than this before the match was confirmed was not this match's
# game (the original's REPLAY_TIMESTAMP_WINDOW_MINUTES; clocks and lobby time differ a little).
BEFORE_CONFIRM_SECONDS = 10 * 60
# ... nor one that started later than this after it (the staff flag comes at 24 hours).
AFTER_CONFIRM_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        # The detail quotes the replay (player and map names): shown literally, never as Markdown.
        return f"{'✅' if self.ok else '❌'} **{self.name}**: {display_text(self.detail)}"


@dataclass(frozen=True)
class Verdict:
    checks: tuple[Check, ...]
    # player_1_win | player_2_win | draw, or None: the checks failed or the winner can't be told.
    result: str | None
    winner_note: str

    @property
    def passed(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def checks_json(self) -> list[dict[str, Any]]:
        return [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks]


@dataclass(frozen=True)
class ReplayRules:
    mod_handles: frozenset[str]  # the mod's cache handle hashes (sha256 hex, lower case)
    allow_ai: bool = False


def _handle_hash(url: str) -> str:
    """`https://us-s2-depot.classic.blizzard.com/<sha256>.s2ma` -> `<sha256>`: the same file has the
    same hash on every region's depot, so regions never matter."""
    return url.rsplit("/", 1)[-1].split(".", 1)[0].strip().lower()


@lru_cache(maxsize=1)
def official_mod_handles() -> frozenset[str]:
    """SC: Evo Complete's cache handles (every region, with the art mod), shipped with the code."""
    text = resources.files("ladderline.ladder.data").joinpath("evo_mod_handles.json").read_text(encoding="utf-8")
    handles = json.loads(text)["handles"]
    return frozenset(_handle_hash(url) for urls in handles.values() for url in urls)


def rules(extra_handles: str = "", allow_ai: bool = False) -> ReplayRules:
    """The mod's handles plus any a deployment adds (comma-separated hashes or URLs)."""
    extra = {_handle_hash(h) for h in extra_handles.split(",") if h.strip()}
    return ReplayRules(official_mod_handles() | frozenset(extra), allow_ai)


@lru_cache(maxsize=1)
def _race_names() -> dict[str, str]:
    """A replay's race name (any client language) -> ladder race code. SC2 races are named plainly
    ("Zerg") by the game, the mod's Brood War races as "BW Zerg"."""
    names: dict[str, str] = {}
    for race in static_data.races():
        plain = race.name.removeprefix("SC2 ")
        for name in (race.name, plain, *race.aliases):
            names[name.casefold()] = race.code
    return names


def race_code(replay_race: str) -> str | None:
    return _race_names().get(replay_race.strip().casefold())


def race_label(code: str) -> str:
    found = static_data.race(code)
    return found.name if found else code


def expected_map_name(map_code: str) -> str:
    """The pool map's in-game name. A match made outside the pool (staff tooling, the demo's match
    built to fit a real replay) names its map directly."""
    found = static_data.ladder_map(map_code)
    return found.name if found else map_code


def _names_of(player: dict[str, Any]) -> set[str]:
    names = {player.get("name") or "", *(player.get("alt_names") or [])}
    tag = player.get("battletag") or ""
    names.add(tag.split("#", 1)[0])
    return {n.strip().casefold() for n in names if n and n.strip()}


def _when(seconds: float) -> str:
    minutes = abs(seconds) / 60
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} h"
    return f"{minutes / 1440:.0f} days"


def verify(summary: ReplaySummary, match: dict[str, Any], rules: ReplayRules) -> Verdict:
    checks: list[Check] = []
    players = summary.players
    checks.append(Check("1v1", len(players) == 2 and summary.teams in (0, 2),
                        f"{len(players)} players" + ("" if len(players) == 2 else " (a ladder game has 2)")))
    computers = [p for p in players if not p.human]
    if rules.allow_ai:
        checks.append(Check("No A.I.", True, "A.I. players are allowed on this ladder"))
    else:
        checks.append(Check("No A.I.", not computers,
                            "two humans" if not computers else f"A.I. player: {computers[0].name}"))
    checks.append(Check("No observers", summary.observers == 0,
                        "none" if summary.observers == 0 else f"{summary.observers} observer(s)"))

    wanted = sorted(p["race"] for p in match["players"])
    codes = [race_code(p.race) for p in players]
    unknown = [p.race for p, c in zip(players, codes, strict=True) if c is None]
    if unknown:
        checks.append(Check("Races", False, f"unknown race {unknown[0]!r}"))
    else:
        found = sorted(c for c in codes if c)
        checks.append(Check("Races", found == wanted,
                            " vs ".join(race_label(c) for c in found)
                            + ("" if found == wanted else f" (the match is {' vs '.join(race_label(c) for c in wanted)})")))

    expected = expected_map_name(match["map"])
    same_map = summary.map_name.strip().casefold() == expected.strip().casefold()
    checks.append(Check("Map", same_map, summary.map_name + ("" if same_map else f" (the match is on {expected})")))

    hashes = {_handle_hash(d) for d in summary.dependencies}
    checks.append(Check("SC: Evo Complete", bool(hashes & rules.mod_handles),
                        "the mod is loaded" if hashes & rules.mod_handles else "the mod is not among the replay's files"))

    confirmed_at = match.get("confirmed_at")
    if confirmed_at is None:
        checks.append(Check("Played after the match", False, "the match was never confirmed"))
    else:
        offset = summary.start_time - float(confirmed_at)
        if offset < -BEFORE_CONFIRM_SECONDS:
            checks.append(Check("Played after the match", False,
                                f"the game started {_when(offset)} before the match was confirmed"))
        elif offset > AFTER_CONFIRM_SECONDS:
            checks.append(Check("Played after the match", False,
                                f"the game started {_when(offset)} after the match was confirmed"))
        else:
            checks.append(Check("Played after the match", True, "started within the match's window"))

    wrong = [f"{name} {summary.lobby.get(name, 'missing')} (must be {value})"
             for name, value in LOBBY if summary.lobby.get(name) != value]
    checks.append(Check("Lobby settings", not wrong, "; ".join(wrong) if wrong else
                        ", ".join(f"{name} {value}" for name, value in LOBBY)))

    verdict = Verdict(tuple(checks), None, "")
    if not verdict.passed:
        return verdict
    result, note = winner(players, match)
    return Verdict(verdict.checks, result, note)


def winner(players: tuple[ReplayPlayer, ...], match: dict[str, Any]) -> tuple[str | None, str]:
    """The replay's winner as the match's result, or None when it can't be told: no single
    winner, or a mirror (same races) whose in-game names match neither player's profile."""
    slots = match["players"]
    if all(p.result == "Tie" for p in players):
        return "draw", "a draw"
    winners = [p for p in players if p.result == "Win"]
    if len(winners) != 1:
        return None, "the replay does not say who won"
    won = winners[0]
    race = race_code(won.race)
    by_race = [i for i, slot in enumerate(slots) if slot["race"] == race]
    if len(by_race) == 1:
        index = by_race[0]
    else:
        # A mirror: only the names can tell the players apart (the original assumed slot order,
        # which decides a coin flip's worth of mirrors wrongly).
        by_name = [i for i, slot in enumerate(slots) if won.name.strip().casefold() in _names_of(slot)]
        if len(by_name) != 1:
            return None, f"a mirror, and the winner's in-game name {won.name!r} matches neither profile"
        index = by_name[0]
    return ("player_1_win", "player_2_win")[index], f"{won.name} ({race_label(race or '')}) won"
