"""Calling ladder handlers directly against the real test PostgreSQL, with jobs of every kind.

The helpers build real `ladderline.job.Job`s of each kind (interaction, timer, tick) and run the
handler the registry selects for them, as the worker would, minus the queue and the deliveries.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from ladderline.adapters.database import PgDatabase
from ladderline.job import Job
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.deliveries import DirectMessage, Timer
from ladderline.ladder.registry import registry
from ladderline.ladder.routes import Handler

from tests.support.interactions import snowflake
from tests.support.postgres import pg_connect

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()
_ticks = itertools.count(1)


def _job(**fields: Any) -> Job:
    defaults = {"application_id": "1", "token": "", "interaction_type": 3, "ack_type": 6, "ephemeral": True}
    return Job(**{**defaults, **fields})


def click_job(custom_id: str, user_id: int | str, values: list[str] | None = None) -> Any:
    return _job(kind="interaction", route=custom_id.split(":")[0], custom_id=custom_id, user_id=str(user_id),
                interaction_id=snowflake(), values=list(values or []))


def command_job(name: str, user_id: int | str, options: dict[str, Any] | None = None,
                subcommand: str | None = None) -> Any:
    return _job(kind="interaction", route=name, user_id=str(user_id), interaction_id=snowflake(),
                options=dict(options or {}), subcommand=subcommand)


def timer_job(route: str, key: str, payload: dict[str, Any]) -> Any:
    return _job(kind="timer", route=route, user_id="0", interaction_id=key, payload=dict(payload))


def tick_job(tick_id: str | None = None, at: float = T0) -> Any:
    tick = tick_id or f"tick-{next(_ticks)}"
    return _job(kind="tick", route="tick", user_id="0", interaction_id=tick,
                payload={"tick_id": tick, "scheduled_at_ms": int(at * 1000)})


def database(url: str) -> PgDatabase:
    return PgDatabase(lambda: pg_connect(url))


def run(url: str, job: Any, at: float = T0, db: PgDatabase | None = None) -> Reply:
    """Run the handler the job's kind and route select, at time `at`, on a fresh (or given) connection."""
    own = db is None
    db = db or database(url)
    try:
        ctx = JobContext(job=job, db=db, clock=lambda: at)
        return handler_for(job)(ctx)
    finally:
        if own:
            db.close()


def handler_for(job: Any) -> Handler:
    if job.kind == "timer":
        handler = registry().timer(job.route)
        if handler is None:
            raise KeyError(job.route)
        return handler
    if job.kind == "tick":
        raise ValueError("run a tick with run_tick(name)")
    return next(r.handler for r in registry().routes() if r.key == job.route and r.handler)


def run_tick(url: str, name: str, tick_id: str | None = None, at: float = T0, fanout: bool = True) -> Reply:
    """Run one tick handler at `at`. With fanout (the default), the jobs it publishes for now
    (delay 0: a wave's per-match jobs, a sweep's notices) run too, at the same instant, as the
    worker would run them next: their deliveries and timers are returned with the tick's."""
    handler = registry().ticks()[name]
    job = tick_job(tick_id, at)
    db = database(url)
    try:
        reply = handler(JobContext(job=job, db=db, clock=lambda: at))
    finally:
        db.close()
    return run_fanout(url, reply, at) if fanout else reply


def run_fanout(url: str, reply: Reply, at: float = T0) -> Reply:
    """`reply` with its delay-0 timers run (each once, as its own job, and theirs in turn: a found
    job's `match_told`) and their output merged in."""
    deliveries = list(reply.deliveries)
    later: list[Timer] = []
    pending = list(reply.timers)
    while pending:
        timer = pending.pop(0)
        if timer.delay_seconds:
            later.append(timer)
            continue
        done = run(url, timer_job(timer.route, timer.key, timer.payload), at=at)
        deliveries.extend(done.deliveries)
        pending.extend(done.timers)
    return Reply(reply.body, outcome=reply.outcome, deliveries=tuple(deliveries), timers=tuple(later),
                 metrics=reply.metrics)


# --- what a reply sends --------------------------------------------------------------------------
def dms(reply: Reply, user_id: int | str | None = None) -> list[DirectMessage]:
    return [d for d in reply.deliveries if isinstance(d, DirectMessage)
            and (user_id is None or d.user_id == str(user_id))]


def keys(reply: Reply) -> list[str]:
    return [d.key for d in reply.deliveries]


def timers(reply: Reply) -> list[Timer]:
    return list(reply.timers)


def text_of(body: dict[str, Any] | None) -> str:
    """Content, embed titles, descriptions and fields of a message body, as one string."""
    if not body:
        return ""
    parts = [body.get("content") or ""]
    for embed in body.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields", [])]
    return "\n".join(parts)


def custom_ids(body: dict[str, Any] | None) -> list[str]:
    return [c["custom_id"] for row in (body or {}).get("components", []) for c in row["components"]
            if "custom_id" in c]


# --- seeding -------------------------------------------------------------------------------------
def seed_ready(url: str, user_id: int, *, name: str | None = None, region: str = "EUW", country: str = "DE",
               bw: str | None = None, sc2: str | None = None, vetoes: list[str] | None = None,
               mmr: dict[str, int] | None = None) -> None:
    """A player who finished setup, accepted the terms and is activated, with queue preferences."""
    races = [r for r in (bw, sc2) if r]
    conn = pg_connect(url)
    try:
        conn.run("INSERT INTO players (discord_user_id, player_name, battletag, country, region, terms_accepted_at, "
                 "activated_at) VALUES (:u, :n, :t, :c, :r, now(), now())",
                 u=user_id, n=name or f"P{user_id}", t=f"P{user_id % 100000}#1234", c=country, r=region)
        conn.run("INSERT INTO preferences_1v1 (discord_user_id, last_chosen_races, last_chosen_vetoes) "
                 "VALUES (:u, CAST(:r AS text[]), CAST(:v AS text[]))",
                 u=user_id, r="{" + ",".join(races) + "}", v="{" + ",".join(vetoes or []) + "}")
        for race, value in (mmr or {}).items():
            conn.run("INSERT INTO mmrs_1v1 (discord_user_id, race, mmr) VALUES (:u, :r, :m)", u=user_id, r=race,
                     m=value)
    finally:
        conn.close()


def sql(url: str, statement: str, **params: Any) -> list[list[Any]]:
    conn = pg_connect(url)
    try:
        return conn.run(statement, **params) or []
    finally:
        conn.close()
