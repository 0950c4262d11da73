"""Part A (issue 3): the worker's time per command against a "remote" PostgreSQL.

Each command's handler runs with a warm PgDatabase whose connection goes through
tests.support.tcp_proxy, once with 0 ms added and once with DELAY_MS added each way (a 50 ms
round trip, like a database in another availability zone or region). Because every command
costs one round trip, each must finish within 2 x the round trip (100 ms) with the delay.

Timed: route.handler(ctx), i.e. parsing, the one transaction, and rendering the reply. Not
timed: each case's `prepare` (state a run needs, e.g. a fresh draft for Confirm), done on a
separate direct connection.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pg8000.native
from ladderline.adapters.database import PgDatabase, open_connection, params_from_url
from ladderline.discord.limits import validate_message
from ladderline.discord.snowflake import make_snowflake
from ladderline.job import Job
from ladderline.ladder.context import JobContext
from ladderline.ladder.registry import registry

DELAY_MS = 25.0
RUNS = 20
BUDGET_MS = 100.0  # 2 x the emulated 50 ms round trip
APPLICATION_ID = "1380486651436073092"
SEED_PLAYERS = 500
ME = 700_000_000_000_000_001  # a player with a full profile
NEW_USERS = itertools.count(800_000_000_000_000_000)
_ids = itertools.count()
_COUNTRIES = itertools.cycle(["FI", "DE"])  # a real change on every run


def snowflake() -> str:
    return str(make_snowflake(int(time.time() * 1000), next(_ids)))


def make_job(route: str, kind: int, *, user_id: int = ME, options: dict[str, Any] | None = None,
             custom_id: str | None = None) -> Job:
    return Job(interaction_id=snowflake(), application_id=APPLICATION_ID, token="bench-token", interaction_type=kind,
               route=route, custom_id=custom_id, options=options or {}, values=[], user_id=str(user_id),
               guild_id=None, channel_id=None, locale="en-US", received_at_ms=int(time.time() * 1000),
               ack_type=5 if kind == 2 else 6, ephemeral=True)


@dataclass
class Case:
    """A command to time; make(admin) returns the job of one run (admin = direct connection for setup)."""

    name: str
    route: str
    make: Callable[[pg8000.native.Connection], Job]
    shows_rows: bool = False  # a view of the seeded ladder: an empty answer is a failed case


EMPTY_VIEW = "No ranked players yet"  # what leaderboard.render says when a filter matches nobody


def _submit_job(user_id: int) -> Job:
    return make_job("setup_modal", 5, user_id=user_id, custom_id="setup_modal:DE:EUW",
                    options={"player_name": "Bencher", "alt_names": "", "battletag": "Bench#1234"})


def _fresh_player(admin: pg8000.native.Connection, *, terms: bool) -> int:
    user = next(NEW_USERS)
    admin.run(f"INSERT INTO players (discord_user_id, player_name, terms_accepted_at) "
              f"VALUES ({user}, 'New', {'now()' if terms else 'NULL'})")
    return user


def _confirm(admin: pg8000.native.Connection) -> Job:
    user = next(NEW_USERS)
    submit = _submit_job(user)
    # The draft a real modal submit leaves (written directly: only the Confirm is timed).
    admin.run("SELECT ladder_setup_draft(:u, CAST(:d AS jsonb), :n)", u=user, n=submit.interaction_id,
              d='{"player_name":"Bencher","alt_names":[],"battletag":"Bench#1234","country":"DE","region":"EUW"}')
    return make_job("setup_confirm", 3, user_id=user, custom_id=f"setup_confirm:{submit.interaction_id}")


def cases() -> list[Case]:
    every = [
        Case("/ping", "ping", lambda a: make_job("ping", 2)),
        Case("/profile (own)", "profile", lambda a: make_job("profile", 2)),
        Case("/profile (no profile)", "profile", lambda a: make_job("profile", 2, options={"user": "5"})),
        Case("/leaderboard", "leaderboard", lambda a: make_job("leaderboard", 2), shows_rows=True),
        Case("/leaderboard race+country", "leaderboard",
             lambda a: make_job("leaderboard", 2, options={"race": "sc2_zerg", "country": "DE"}), shows_rows=True),
        Case("leaderboard page click", "lb", lambda a: make_job("lb", 3, custom_id="lb:7:::"), shows_rows=True),
        Case("/setup modal submit", "setup_modal", lambda a: _submit_job(next(NEW_USERS))),
        Case("/setup confirm", "setup_confirm", _confirm),
        Case("/setcountry", "setcountry",
             lambda a: make_job("setcountry", 2, options={"country": next(_COUNTRIES)})),
        Case("/termsofservice", "termsofservice", lambda a: make_job("termsofservice", 2)),
        Case("terms accept", "terms_accept",
             lambda a: make_job("terms_accept", 3, user_id=_fresh_player(a, terms=False), custom_id="terms_accept")),
        Case("/activate", "activate", lambda a: make_job("activate", 2, user_id=_fresh_player(a, terms=True),
                                                         options={"code": "BENCH-CODE"})),
    ]
    known = {route.key for route in registry().routes()}
    missing = [c.name for c in every if c.route not in known]
    if missing:
        print(f"(not in the registry, skipped: {', '.join(missing)})")
    return [c for c in every if c.route in known]


def seed(admin: pg8000.native.Connection) -> None:
    """SEED_PLAYERS players with MMRs in several races (ties included), and me with a full profile."""
    from ladderline.ladder.commands.activate import hash_code

    admin.run(f"""
        INSERT INTO players (discord_user_id, player_name, alt_names, battletag, country, region,
                             terms_accepted_at, activated_at)
        SELECT g, 'Player' || g, ARRAY['Alt' || g], 'Player' || g || '#1234',
               (ARRAY['DE','FR','KR','US','FI'])[1 + g % 5], (ARRAY['EUW','NAC','KRJ'])[1 + g % 3], now(), now()
        FROM generate_series(1, {SEED_PLAYERS}) g;
        INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, games_lost, games_drawn,
                              last_played_at)
        SELECT g, r, 1200 + (g * 37 + length(r) * 11) % 900, 20, 12, 8, 0, now() - make_interval(days => g % 40)
        FROM generate_series(1, {SEED_PLAYERS}) g, unnest(ARRAY['sc2_zerg','sc2_terran','bw_protoss']) r
        WHERE (g + length(r)) % 2 = 0 OR r = 'sc2_zerg';
        INSERT INTO players (discord_user_id, player_name, alt_names, battletag, country, region,
                             terms_accepted_at, activated_at)
        VALUES ({ME}, 'Bencher', ARRAY['B2'], 'Bench#1234', 'DE', 'EUW', now(), now());
        INSERT INTO mmrs_1v1 (discord_user_id, race, mmr, games_played, games_won, games_lost, games_drawn,
                              last_played_at)
        VALUES ({ME}, 'sc2_zerg', 1650, 30, 18, 11, 1, now()), ({ME}, 'bw_terran', 1500, 0, 0, 0, 0, NULL);
        INSERT INTO preferences_1v1 (discord_user_id, last_chosen_races) VALUES ({ME}, ARRAY['sc2_zerg']);
        INSERT INTO activation_codes (code_hash, max_uses) VALUES ('{hash_code("BENCH-CODE")}', 1000000);
        ANALYZE;
    """)
    # The views read the ranks snapshot the ranks tick writes: without it every leaderboard is empty
    # and /profile shows no rank, which would time an empty answer.
    admin.run("SELECT ladder_refresh_ranks(now(), true, 600)")


@dataclass
class Timing:
    median_ms: float
    p95_ms: float
    outcomes: set[str]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    # Nearest-rank: with 20 runs, p95 is the 19th value (one outlier allowed).
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def time_case(case: Case, db: PgDatabase, admin: pg8000.native.Connection, runs: int) -> Timing:
    route_for = {(r.kind, r.key): r for r in registry().routes()}
    samples: list[float] = []
    outcomes: set[str] = set()
    for _ in range(runs):
        job = case.make(admin)
        route = route_for[(job.interaction_type, job.route)]
        ctx = JobContext(job=job, db=db)
        started = time.perf_counter()
        reply = route.handler(ctx)
        samples.append((time.perf_counter() - started) * 1000)
        outcomes.add(reply.outcome)
        if case.shows_rows and (reply.body is None or EMPTY_VIEW in json.dumps(reply.body)):
            outcomes.add("EMPTY")
        if reply.body is not None and validate_message(reply.body):
            raise AssertionError(f"{case.name}: invalid reply body {validate_message(reply.body)}")
    return Timing(statistics.median(samples), percentile(samples, 0.95), outcomes)


def run_part_a(database_url: str, runs: int = RUNS, delay_ms: float = DELAY_MS) -> bool:
    from tests.support.tcp_proxy import proxy_for

    admin = pg8000.native.Connection(**_kwargs(database_url))
    seed(admin)
    proxies = {0.0: proxy_for(database_url), delay_ms: proxy_for(database_url, delay_ms=delay_ms)}
    dbs: dict[float, PgDatabase] = {}
    try:
        for delay, proxy in proxies.items():
            url = proxy.url_for(database_url)
            dbs[delay] = PgDatabase(lambda url=url: open_connection(params_from_url(url)))
            dbs[delay].transaction("SELECT 1")  # warm: the connection is open before timing
        added = f"+{delay_ms:g}ms"
        header = (f"{'command':<28} {'0ms median':>11} {'0ms p95':>9} | {added + ' median':>12} "
                  f"{added + ' p95':>10} | {'turns':>5} | result (outcomes)")
        print(f"Part A: worker time per command (handler: parse + ONE database round trip + render), "
              f"warm connection, N={runs}, PostgreSQL behind a proxy adding 0 ms / {delay_ms:g} ms each way")
        print(header)
        print("-" * len(header))
        ok = True
        for case in cases():
            fast = time_case(case, dbs[0.0], admin, runs)
            proxies[delay_ms].reset()
            slow = time_case(case, dbs[delay_ms], admin, runs)
            turns = proxies[delay_ms].round_trips / runs
            passed = slow.p95_ms < BUDGET_MS and turns == 1 and "EMPTY" not in fast.outcomes | slow.outcomes
            ok &= passed
            print(f"{case.name:<28} {fast.median_ms:>9.1f}ms {fast.p95_ms:>7.1f}ms | {slow.median_ms:>10.1f}ms "
                  f"{slow.p95_ms:>8.1f}ms | {turns:>5.3g} | {'PASS' if passed else 'FAIL'} "
                  f"({', '.join(sorted(slow.outcomes))})")
        print(f"PASS = p95 with +{delay_ms:g} ms each way under {BUDGET_MS:.0f} ms (2 x the round trip), "
              "exactly 1 round trip per command on the wire, and no view of the seeded ladder empty (EMPTY)")
        return ok
    finally:
        for db in dbs.values():
            db.close()
        for proxy in proxies.values():
            proxy.stop()
        admin.close()


def _kwargs(url: str) -> dict[str, Any]:
    params = params_from_url(url)
    return {"host": params.host, "port": params.port, "database": params.database, "user": params.user,
            "password": params.password}
