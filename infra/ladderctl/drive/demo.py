"""`ladderctl demo`: walk two new random players through the bot on the local stack, and check it.

Player one: /setup (the modal in-line, the modal submit, Confirm) -> /profile -> /termsofservice
(Accept) -> /leaderboard (Next page) -> /setcountry (autocomplete, then the command).
Then the ladder with a second player: both /activate, /queue (a race each, Join), are matched by
the next tick's wave, confirm in their DMs, get the match card, report (I won / I lost, each
confirmed once more), and get the result. Then a second match, rewritten to fit a real replay, is
settled by it: one upload refused (a game against the A.I.), one that decides the match for both.
The demo ends printing both new ratings.
Every step is printed; each final message and every DM both players receive is checked, and the
exit code is 1 if any step does not end as expected.

Uses the stack of `ladderctl dev` when one is answering (<data-dir>/stack.json), otherwise starts
one in this process on free ports. So that the leaderboard has a second page, it first adds
sample players (ids 990000000000000001...) to the stack's database if they are not there yet.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ladderctl.drive.simulate import (
    DEFAULT_GUILD,
    Outcome,
    SimulateError,
    Simulator,
    iter_components,
    render_message,
    render_outcome,
)
from ladderctl.sample_replays import PVT_AI, ZVP, ZVP_MAP, ZVP_STARTED
from ladderctl.stack.devstack import DevOptions, DevStack, DevStackError
from ladderctl.stack.info import DEFAULT_DATA_DIR, read_stack

SAMPLE_PLAYERS = 24
DEMO_CODE = "DEMO-LADDER-CODE"  # an activation code the demo adds (hashed) to the stack's database
MATCH_WAIT_S = 45.0  # a few ticks of `ladderctl dev` (5 s by default)
SAMPLE_ID_BASE = 990_000_000_000_000_000
SAMPLE_NAMES = ("Serral", "Maru", "Clem", "Reynor", "Dark", "Hero", "Oliveira", "Solar", "Classic", "ByuN",
                "Zest", "Rogue", "herO", "SpeCial", "Elazer", "MaxPax", "Cure", "ShoWTimE", "Astrea", "Harstem",
                "Lambo", "Trigger", "Gerald", "Bunny")


def as_letters(number: int) -> str:
    """1234 -> "Bcde": a player name is English letters only (the original ladder's rule)."""
    return "".join("abcdefghij"[int(d)] for d in str(number)).capitalize()


class DemoFailure(AssertionError):
    """A step's final message was not what the bot should have answered."""


def seed_sample_players(database_url: str) -> int:
    """Sample ranked players (idempotent: ON CONFLICT DO NOTHING); returns how many were added."""
    from ladderline.adapters import sql
    from ladderline.ladder import static_data

    from ladderctl.postgres import connect

    races = [r.code for r in static_data.races()]
    regions = [r.code for r in static_data.regions()]
    countries = ["DE", "FI", "KR", "FR", "PL", "US", "SE", "NL", "CN", "BR", "IT", "ES"]
    players, mmrs = [], []
    for i in range(SAMPLE_PLAYERS):
        uid = SAMPLE_ID_BASE + i + 1
        players.append("(" + ", ".join([sql.literal(uid), sql.literal(SAMPLE_NAMES[i % len(SAMPLE_NAMES)]),
                                        sql.literal(countries[i % len(countries)]),
                                        sql.literal(regions[i % len(regions)]), "now()", "now()"]) + ")")
        won, lost = 30 - i, 10 + i // 2
        mmrs.append("(" + ", ".join([sql.literal(uid), sql.literal(races[i % len(races)]),
                                     sql.literal(2400 - 25 * i), sql.literal(won + lost), sql.literal(won),
                                     sql.literal(lost), "0", "now()"]) + ")")
    conn = connect(database_url)
    try:
        conn.run("BEGIN")
        added = conn.run(
            "INSERT INTO players (discord_user_id, player_name, country, region, terms_accepted_at, activated_at) "
            f"VALUES {', '.join(players)} ON CONFLICT DO NOTHING RETURNING 1")
        # Played just now, so they are ranked (the leaderboard lists entries played within 30 days).
        conn.run("INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, games_lost, "
                 f"games_drawn, last_played_at) VALUES {', '.join(mmrs)} "
                 "ON CONFLICT (discord_user_id, race) DO UPDATE SET last_played_at = now()")
        from ladderline.ladder.commands.activate import hash_code

        conn.run("INSERT INTO activation_codes (code_hash, max_uses) VALUES (:h, 1000000) ON CONFLICT DO NOTHING",
                 h=hash_code(DEMO_CODE))
        conn.run("COMMIT")
        # Ranked at once, as the ranks function would within a tick (the demo shows the board next).
        # The stack's own ranks schedule may be rebuilding from before these rows (the snapshot
        # row is then locked: "busy"): rebuild once it is done.
        for _ in range(100):
            [[answer]] = conn.run("SELECT ladder_refresh_ranks(now(), true, 600)")
            if (answer or {}).get("status") != "busy":
                break
            time.sleep(0.1)
    finally:
        conn.close()
    return len(added or [])


# --- checks ------------------------------------------------------------------------------------------
def _text(message: dict[str, Any] | None) -> str:
    """Everything a user reads in a message, as one string (for checks)."""
    if not message:
        return ""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or "", (embed.get("footer") or {}).get("text", "")]
        parts += [f"{f.get('name')}: {f.get('value')}" for f in embed.get("fields") or []]
    return "\n".join(parts)


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise DemoFailure(what)


def expect_answer(outcome: Outcome, callback_type: int) -> None:
    expect(outcome.status == 200, f"the endpoint answered HTTP {outcome.status}")
    expect(outcome.callback_type == callback_type,
           f"expected callback type {callback_type}, got {outcome.callback_type}")
    if callback_type in (5, 6, 7):
        expect(not outcome.waited_out, "the worker did not edit the message in time")


def expect_in(needle: str, message: dict[str, Any] | None) -> None:
    expect(needle.casefold() in _text(message).casefold(), f"the final message does not mention {needle!r}")


def button(message: dict[str, Any] | None, label: str) -> dict[str, Any]:
    for component in iter_components((message or {}).get("components")):
        if component.get("label") == label:
            return component
    raise DemoFailure(f"the message has no {label!r} button")


# --- the walk -----------------------------------------------------------------------------------------
@dataclass
class Step:
    title: str
    run: Callable[[], Outcome]
    check: Callable[[Outcome], None]


def steps(sim: Simulator, player: str, tag: str, region: str) -> list[Step]:
    def after_setup_submit(o: Outcome) -> None:
        expect_answer(o, 5)
        expect_in("Check your ladder profile", o.message)
        expect_in(player, o.message)
        expect(not button(o.message, "Confirm").get("disabled"), "Confirm is disabled")

    def after_confirm(o: Outcome) -> None:
        expect_answer(o, 7)
        expect_in("Profile created", o.message)
        expect(not any(c.get("type") == 2 and not c.get("disabled")
                       for c in iter_components(o.message.get("components") if o.message else [])),
               "buttons still enabled after Confirm")

    def after_leaderboard(o: Outcome) -> None:
        expect_answer(o, 5)
        expect_in("Leaderboard", o.message)
        expect_in("Page 1/", o.message)
        expect(not button(o.message, "Next").get("disabled"), "Next is disabled (only one page)")

    def after_next(o: Outcome) -> None:
        expect_answer(o, 6)
        expect_in("Page 2/", o.message)
        expect(not button(o.message, "Previous").get("disabled"), "Previous is disabled on page 2")

    def after_autocomplete(o: Outcome) -> None:
        expect_answer(o, 8)
        values = [c.get("value") for c in (o.response.get("data") or {}).get("choices") or []]
        expect("FR" in values, f"France is not among the choices {values}")

    return [
        Step("/setup country:DE region:" + region, lambda: sim.command("setup", {"country": "DE", "region": region}),
             lambda o: (expect_answer(o, 9), expect(bool(o.modal and o.modal.get("custom_id")), "no modal"))),
        Step(f"submit the setup modal (name {player}, BattleTag {tag})",
             lambda: sim.submit_modal({"player_name": player, "alt_names": "", "battletag": tag}),
             after_setup_submit),
        Step("click Confirm", lambda: sim.click("Confirm"), after_confirm),
        Step("/profile", lambda: sim.command("profile"),
             lambda o: (expect_answer(o, 5), expect_in(player, o.message), expect_in("Germany", o.message))),
        Step("/termsofservice", lambda: sim.command("termsofservice"),
             lambda o: (expect_answer(o, 5), expect_in("terms of service", o.message),
                        expect(bool(button(o.message, "Accept")), "no Accept button"))),
        Step("click Accept", lambda: sim.click("Accept"),
             lambda o: (expect_answer(o, 7), expect_in("you accepted the terms", o.message))),
        Step("/leaderboard", lambda: sim.command("leaderboard"), after_leaderboard),
        Step("click Next", lambda: sim.click("Next"), after_next),
        Step("autocomplete /setcountry country:fra", lambda: sim.autocomplete("setcountry", {"country": "fra"}),
             after_autocomplete),
        Step("/setcountry country:FR", lambda: sim.command("setcountry", {"country": "FR"}),
             lambda o: (expect_answer(o, 5), expect_in("France", o.message), expect_in("was", o.message))),
        Step("/profile again", lambda: sim.command("profile"),
             lambda o: (expect_answer(o, 5), expect_in("France", o.message))),
    ]


def available_commands() -> set[str]:
    from ladderline.ladder.registry import registry

    return {route.key for route in registry().routes()}


def walk(sim: Simulator, out: TextIO, suffix: int) -> int:
    """Run every step; returns the number of failed steps."""
    from ladderline.ladder import static_data

    player, tag = f"Demo{as_letters(suffix)}", f"Demo#{suffix}"
    region = static_data.regions()[0].code
    routes = available_commands()
    needed = {"setup", "setup_modal", "setup_confirm", "profile", "termsofservice", "terms_accept", "leaderboard",
              "lb", "setcountry"}
    missing = sorted(needed - routes)
    if missing:
        print(f"note: these routes are not in the registry, their steps will fail: {', '.join(missing)}", file=out)
    failures = 0
    started = time.monotonic()
    for number, step in enumerate(steps(sim, player, tag, region), 1):
        print(f"\n== {number}. {step.title}", file=out, flush=True)
        try:
            outcome = step.run()
            print(render_outcome(outcome), file=out, flush=True)
            step.check(outcome)
            print("   ok", file=out, flush=True)
        except (DemoFailure, SimulateError) as exc:
            failures += 1
            print(f"   FAILED: {exc}", file=out, flush=True)
            if number <= 3:  # without a profile, the rest cannot work
                break
    verdict = "passed" if not failures else f"FAILED ({failures} step(s))"
    print(f"\nfirst player's walk {verdict} in {time.monotonic() - started:.1f} s (player {player}, user {sim.user_id})",
          file=out, flush=True)
    return failures


# --- the ladder with a second player ------------------------------------------------------------------
@dataclass
class Player:
    name: str
    sim: Simulator  # commands in the server
    dm: Simulator  # clicks in the bot's DMs (Discord sends those without a guild)
    select: str  # the /queue race select
    race: str
    race_label: str
    seen: int = 0  # DMs already checked
    start: int = 0  # DMs before the ladder walk

    def new_dms(self, needle: str, wait: float = 20.0) -> list[dict[str, Any]]:
        """The DMs since the last call, once one of them mentions `needle`."""
        deadline = time.monotonic() + wait
        while True:
            messages = self.sim.dms()
            fresh = messages[self.seen:]
            if any(needle.casefold() in _text(m).casefold() for m in fresh) or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        expect(any(needle.casefold() in _text(m).casefold() for m in fresh),
               f"{self.name} got no DM mentioning {needle!r} (got: {[_text(m)[:60] for m in fresh]})")
        self.seen = len(messages)
        return fresh

    def dm_with(self, needle: str) -> dict[str, Any]:
        found = [m for m in self.sim.dms() if needle.casefold() in _text(m).casefold()]
        expect(bool(found), f"{self.name} has no DM mentioning {needle!r}")
        return found[-1]


def second_player(info: Any, data_dir: Path, out: TextIO, suffix: int) -> Simulator | None:
    """A second new player, set up through the same commands; None if that fails."""
    user_id = str(random.randint(10**17, 9 * 10**17))
    sim = Simulator(info, data_dir, user_id=user_id, guild_id=DEFAULT_GUILD, last_file="last-demo-2.json")
    name = f"Rival{as_letters(suffix)}"
    try:
        print(f"\n== a second player: /setup, modal, Confirm, /termsofservice, Accept ({name}, user {user_id})",
              file=out, flush=True)
        sim.command("setup", {"country": "FI", "region": "EUW"})
        sim.submit_modal({"player_name": name, "alt_names": "", "battletag": f"Rival#{suffix}"})
        expect_in("Profile created", sim.click("Confirm").message)
        sim.command("termsofservice")
        expect_in("you accepted the terms", sim.click("Accept").message)
        print("   ok", file=out, flush=True)
        return sim
    except (DemoFailure, SimulateError) as exc:
        print(f"   FAILED: {exc}", file=out, flush=True)
        return None


def walk_ladder(first: Simulator, second: Simulator, names: tuple[str, str], out: TextIO) -> int:
    """Both players from /activate to a result; returns the number of failed steps (stops at the first)."""
    players = [
        Player(names[0], first, _dm_simulator(first), "q:bw", "bw_protoss", "BW Protoss"),
        Player(names[1], second, _dm_simulator(second), "q:sc2", "sc2_zerg", "SC2 Zerg"),
    ]
    a, b = players
    for p in players:
        p.seen = p.start = len(p.sim.dms())
    match: dict[str, str] = {}

    def activate(p: Player) -> Outcome:
        o = p.sim.command("activate", {"code": DEMO_CODE})
        expect_answer(o, 5)
        expect_in("activated", o.message)
        return o

    def queue(p: Player) -> Outcome:
        opened = p.sim.command("queue")
        expect_answer(opened, 5)
        expect_in("Matchmaking queue", opened.message)
        chosen = p.sim.select(p.select, [p.race])
        expect_answer(chosen, 6)
        expect_in(p.race_label.split(" ", 1)[1], chosen.message)
        joined = p.sim.click("Join queue")
        expect_answer(joined, 7)
        if p is b and "found" in _text(joined.message):
            # The second to join can be matched by a wave that runs before this reads the message:
            # it then already says "Match #N found" (true, and what Discord would show by then).
            return joined
        expect_in("Searching", joined.message)
        expect_in("Next matchmaking wave", joined.message)
        return joined

    def matched() -> None:
        for p, other in ((a, b), (b, a)):
            [found] = [m for m in p.new_dms("found", wait=MATCH_WAIT_S) if "found" in _text(m)]
            expect(other.name in _text(found), f"{p.name} was matched with someone else: {_text(found)[:120]}")
            number = _text(found).split("Match #", 1)[1].split(" ", 1)[0]
            expect(match.setdefault("number", number) == number, "the two DMs name different matches")
            expect(bool(button(found, "Confirm")) and bool(button(found, "Abort")), "no Confirm / Abort")
            print(f"   {p.name}'s DM:\n{render_message(found, '     ')}", file=out, flush=True)

    def confirm(p: Player, other: Player, last: bool) -> Outcome:
        o = p.dm.click("Confirm", message=p.dm_with(f"Match #{match['number']} found"))
        expect_answer(o, 7)
        if not last:
            expect_in("Waiting for your opponent", o.message)
            other.new_dms("confirmed")
        return o

    def cards() -> None:
        for p, other in ((a, b), (b, a)):
            fresh = p.new_dms("Host the lobby")
            [card] = [m for m in fresh if "Host the lobby" in _text(m)]
            for needle in (f"Match #{match['number']}", other.name, "Match settings", "Not reported yet"):
                expect_in(needle, card)
            expect(all(button(card, label) for label in ("I won", "I lost", "Draw")), "no report buttons")
            print(f"   {p.name}'s match card:\n{render_message(card, '     ')}", file=out, flush=True)

    def report(p: Player, other: Player, label: str, last: bool) -> Outcome:
        card = p.dm_with("Host the lobby")
        asked = p.dm.click(label, message=card)
        expect_answer(asked, 6)
        questions = p.dm.followups(asked)
        expect(len(questions) == 1, f"expected one question, got {len(questions)}")
        expect_in(f"Report **{label}** for match #{match['number']}?", questions[0])
        o = p.dm.click(f"Yes, report “{label}”", message=questions[0])
        expect_answer(o, 7)
        expect_in(f"You reported **{label}**", o.message)
        if not last:
            expect_in("Waiting for your opponent", o.message)
            other.new_dms("Your opponent reported")
        return o

    def results() -> None:
        for p, change in ((a, "+20"), (b, "-20")):
            [result] = [m for m in p.new_dms(f"Match #{match['number']} result")
                        if f"Match #{match['number']} result" in _text(m)]
            expect_in(f"({change}, {p.race_label})", result)
            print(f"   {p.name}'s result:\n{render_message(result, '     ')}", file=out, flush=True)
        for p in players:
            # Every DM of the walk is about this match: found, opponent confirmed, card, opponent
            # reported, result (each checked above), and nothing else.
            every = p.sim.dms()[p.start:]
            stray = [_text(m)[:60] for m in every if f"match #{match['number']}" not in _text(m).casefold()]
            expect(not stray, f"{p.name} got DMs that are not about the match: {stray}")
            print(f"   {p.name}: {len(every)} DMs, all about match #{match['number']}", file=out, flush=True)

    def again() -> None:
        match.clear()
        for p in players:
            p.seen = len(p.sim.dms())

    def fit_replay() -> None:
        """The ladder pairs a Brood War race with an SC2 race; the one public replay that fits a
        1v1 is SC2 Zerg vs SC2 Protoss on Odyssey LE. So this match is rewritten to be that game:
        the winner's side (Protoss) is the first player's, the game starts a minute after the
        confirmation."""
        from ladderctl.postgres import connect

        conn = connect(first.info.database_url)
        try:
            conn.run("UPDATE matches_1v1 SET map_code = :map, confirmed_at = to_timestamp(:at), "
                     "player_1_race = CASE player_1 WHEN :a THEN 'sc2_protoss' ELSE 'sc2_zerg' END, "
                     "player_2_race = CASE player_2 WHEN :a THEN 'sc2_protoss' ELSE 'sc2_zerg' END "
                     "WHERE match_id = :m", map=ZVP_MAP, at=ZVP_STARTED - 60, a=int(a.sim.user_id),
                     m=int(match["number"]))
            # The ratings the match snapshots are those of the races it now has.
            conn.run("UPDATE matches_1v1 m SET "
                     "player_1_mmr = coalesce((SELECT mmr FROM mmrs_1v1 WHERE discord_user_id = m.player_1 "
                     "AND race = m.player_1_race), 1500), "
                     "player_2_mmr = coalesce((SELECT mmr FROM mmrs_1v1 WHERE discord_user_id = m.player_2 "
                     "AND race = m.player_2_race), 1500) WHERE match_id = :m", m=int(match["number"]))
        finally:
            conn.close()
        print(f"   match #{match['number']}: {a.name} SC2 Protoss vs {b.name} SC2 Zerg on {ZVP_MAP}, "
              f"confirmed a minute before the replay's game", file=out, flush=True)

    def upload(p: Player, path: Path) -> Outcome:
        opened = p.dm.click("Upload replay", message=p.dm_with("Host the lobby"))
        expect_answer(opened, 9)
        expect(any(c.get("type") == 19 for c in iter_components((opened.modal or {}).get("components"))),
               "the modal has no File Upload")
        o = p.dm.upload(path)
        expect_answer(o, 5)
        return o

    def refused() -> Outcome:
        o = upload(b, PVT_AI)
        for needle in ("doesn't fit", "❌ **No A.I.**", "Nothing changed"):
            expect_in(needle, o.message)
        return o

    def decided() -> Outcome:
        o = upload(a, ZVP)
        expect_in(f"Match #{match['number']} is decided by your replay", o.message)
        for p, change in ((a, "+"), (b, "-")):
            [result] = [m for m in p.new_dms(f"Match #{match['number']} result")
                        if f"Match #{match['number']} result" in _text(m)]
            for needle in ("Decided by the replay", "Beren (SC2 Protoss) won", "✅ **SC: Evo Complete**",
                           f"({change}"):
                expect_in(needle, result)
            print(f"   {p.name}'s result:\n{render_message(result, '     ')}", file=out, flush=True)
        return o

    steps_ = [
        (f"{a.name}: /activate code:{DEMO_CODE}", lambda: activate(a)),
        (f"{b.name}: /activate code:{DEMO_CODE}", lambda: activate(b)),
        (f"{a.name}: /queue, pick {a.race_label}, Join", lambda: queue(a)),
        (f"{b.name}: /queue, pick {b.race_label}, Join", lambda: queue(b)),
        ("the next tick's wave matches them: both get \"Match #N found\"", matched),
        (f"{a.name} confirms in the DM", lambda: confirm(a, b, last=False)),
        (f"{b.name} confirms: both get the match card", lambda: (confirm(b, a, last=True), cards())),
        (f"{a.name} reports \"I won\" (and confirms the report)", lambda: report(a, b, "I won", last=False)),
        (f"{b.name} reports \"I lost\": the match is final", lambda: report(b, a, "I lost", last=True)),
        ("both get the result", results),
        # A second match, settled by a replay: upload in the card's modal -> worker (CDN, parser,
        # checks) -> S3 -> verdict -> both players told -> ratings.
        (f"{a.name} and {b.name} queue again", lambda: (again(), queue(a), queue(b))[-1]),
        ("the next wave matches them again", matched),
        ("both confirm: both get the new match card",
         lambda: (confirm(a, b, last=False), confirm(b, a, last=True), cards())[-1]),
        ("the match is made to fit a real replay (Zerg vs Protoss on Odyssey LE)", fit_replay),
        (f"{b.name}: Upload replay, a game against the A.I.: refused, nothing changed", refused),
        (f"{a.name}: Upload replay, the game itself: it decides the match for both", decided),
    ]
    started = time.monotonic()
    for number, (title, run_step) in enumerate(steps_, 1):
        print(f"\n== L{number}. {title}", file=out, flush=True)
        try:
            outcome = run_step()
            if isinstance(outcome, Outcome):
                print(render_outcome(outcome), file=out, flush=True)
            print("   ok", file=out, flush=True)
        except (DemoFailure, SimulateError) as exc:
            print(f"   FAILED: {exc}", file=out, flush=True)
            return 1
    # Every DM either player received during the ladder walk, each one checked above.
    print(f"\ndemo passed: the ladder took {time.monotonic() - started:.1f} s (match #{match['number']})", file=out)
    for p, labels in ((a, (a.race_label, "SC2 Protoss")), (b, (b.race_label,))):
        profile = p.sim.command("profile")
        for label in labels:
            field = next((f for e in (profile.message or {}).get("embeds") or [] for f in e.get("fields") or []
                          if f.get("name") == label), None)
            mmr = (field or {}).get("value", "?").split("\n", 1)[0].replace("MMR ", "").strip("*")
            print(f"rating now: {p.name} {label} {mmr} (from 1500)", file=out, flush=True)
    return 0


def _dm_simulator(sim: Simulator) -> Simulator:
    return Simulator(sim.info, sim.data_dir, user_id=sim.user_id, guild_id=None,
                     last_file=f"last-demo-dm-{sim.user_id}.json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="the dev stack's data folder")
    parser.add_argument("--user", default=None, help="user id (default: a new random player)")
    parser.add_argument("--quiet-stack", action="store_true",
                        help="when the demo starts its own stack, hide the stack's step lines")


def run(args: argparse.Namespace) -> int:
    out = sys.stdout  # the stack replaces sys.stdout with its log tap while it runs
    user_id = args.user or str(random.randint(10**17, 9 * 10**17))
    info = read_stack(args.data_dir)
    stack: DevStack | None = None
    sampled: str | None = None  # the database the sample players were added to (removed at the end)
    try:
        if info is not None and info.emulator_url and Simulator(info, args.data_dir).reachable():
            print(f"using the running stack at {info.endpoint_url}", file=out)
        else:
            print("starting a local stack for the demo...", file=out, flush=True)
            quiet = open(os.devnull, "w") if args.quiet_stack else out  # noqa: SIM115
            stack = DevStack(DevOptions(data_dir=args.data_dir, port=0, discord_port=0), console_stream=quiet)
            # Keep the real DISCORD_* keys out: the demo needs the emulator to act as a user.
            info = stack.start() if not _real_discord_configured() else None
            if info is None:
                raise DevStackError("DISCORD_PUBLIC_KEY/DISCORD_APPLICATION_ID are set: the demo needs the local "
                                    "emulator, unset them (or run `ladderctl dev` without them)")
        assert info is not None
        added = seed_sample_players(info.database_url)
        if added:
            print(f"added {added} sample players so the leaderboard has a second page", file=out)
            sampled = info.database_url
        sim = Simulator(info, args.data_dir, user_id=user_id, guild_id=DEFAULT_GUILD, last_file="last-demo.json")
        suffix = random.randint(1000, 9999)
        if walk(sim, out, suffix):
            return 1
        rival = second_player(info, args.data_dir, out, suffix)
        if rival is None:
            return 1
        return 1 if walk_ladder(sim, rival, (f"Demo{as_letters(suffix)}", f"Rival{as_letters(suffix)}"), out) else 0
    except (DevStackError, SimulateError) as exc:
        print(f"ladderctl demo: {exc}", file=sys.stderr)
        return 1
    finally:
        if sampled is not None:
            removed = remove_sample_players(sampled)
            print(f"removed the {removed} sample players again (the leaderboard is yours)", file=out)
        if stack is not None:
            stack.stop()


def remove_sample_players(database_url: str) -> int:
    """Take the sample players off the stack's database again (their ratings go with them), and
    rebuild the ranks, so `make demo` leaves only the two players it walked through."""
    from ladderctl.postgres import connect

    conn = connect(database_url)
    try:
        removed = conn.run("DELETE FROM players WHERE discord_user_id BETWEEN :low AND :high RETURNING 1",
                           low=SAMPLE_ID_BASE + 1, high=SAMPLE_ID_BASE + SAMPLE_PLAYERS)
        conn.run("SELECT ladder_refresh_ranks(now(), true, 600)")
    finally:
        conn.close()
    return len(removed or [])


def _real_discord_configured() -> bool:
    import os

    from ladderline import settings as names

    return bool(os.environ.get(names.DISCORD_PUBLIC_KEY) and os.environ.get(names.DISCORD_APPLICATION_ID))
