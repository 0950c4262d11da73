"""One matchmaking wave: snapshot -> pure pairing -> one committing transaction -> the DMs.

1. ladder_wave_snapshot reads the queue (no lock held while Python thinks).
2. matchmaking.run_wave pairs it; each pair gets a map drawn from the pool minus both players'
   vetoes (seeded by the tick and the players, so a re-run draws the same map) and the server
   of the region table.
3. ladder_wave_commit, serialised by the wave row's lock (SELECT ... FOR UPDATE, never an
   advisory lock: those pin RDS Proxy sessions), creates the matches whose entries are still the
   snapshotted ones, once per tick.
4. Each match gets its own "match found" job (ladder/fanout.py: one job per match, its own
   retries), which announces the match, tells both players and schedules the match's reminder
   and deadline. A re-run of the tick answers the same matches, so the same job keys: each job,
   message and timer exactly once. The tick's own work ends with the commit and the publish.
"""

from __future__ import annotations

import random
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ladderline.discord import responses
from ladderline.ladder import guards, static_data
from ladderline.ladder.context import JobContext, Metric, Reply
from ladderline.ladder.deliveries import DirectMessage, EditResponse, Timer
from ladderline.ladder.i18n import Text
from ladderline.ladder.match_messages import CONFIRM_SECONDS, player_text
from ladderline.ladder.matchmaking import Entry, Pair, run_wave

REMIND_TIMER, DEADLINE_TIMER, FOUND_TIMER = "match_remind", "match_deadline", "match_found"
# Published by a match's found job once both DMs are out: the confirmation window starts there.
TOLD_TIMER = "match_told"


def dm(key: str, user_id: str, text: str) -> DirectMessage:
    return DirectMessage(key, user_id, responses.message(text))


def tick_interval_seconds(ctx: JobContext) -> int:
    """Seconds until the next tick (so the next wave): the schedule's interval, 60 s by default."""
    payload = getattr(ctx.job, "payload", None) or {}
    if payload.get("interval_seconds"):
        return max(1, round(float(payload["interval_seconds"])))
    if payload.get("interval_minutes"):
        return max(1, round(float(payload["interval_minutes"]) * 60))
    return 60


def entries_from(snapshot: dict[str, Any]) -> list[Entry]:
    return [Entry(int(e["user_id"]), e["bw_race"], e["sc2_race"], e["bw_mmr"], e["sc2_mmr"], e["region"],
                  int(e["waves"])) for e in snapshot["entries"]]


def choose_map(tick: str, pair: Pair, vetoes: dict[int, list[str]]) -> str:
    """A map from the pool minus both players' vetoes (at most 4 + 4 of 9: one always remains)."""
    banned = set(vetoes.get(pair.bw.user_id, ())) | set(vetoes.get(pair.sc2.user_id, ()))
    pool = [m.code for m in static_data.maps() if m.code not in banned] or [m.code for m in static_data.maps()]
    return random.Random(f"{tick}:{pair.bw.user_id}:{pair.sc2.user_id}").choice(pool)


def plan(tick: str, snapshot: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Pair]]:
    """The pairs to commit (as ladder_wave_commit takes them) for a snapshot."""
    entries = snapshot["entries"]
    keys = {int(e["user_id"]): e["join_key"] for e in entries}
    vetoes = {int(e["user_id"]): list(e.get("vetoes") or []) for e in entries}
    pairs = run_wave(entries_from(snapshot), static_data.is_blocked)
    rows = [{"bw_user": p.bw.user_id, "bw_key": keys[p.bw.user_id],
             "sc2_user": p.sc2.user_id, "sc2_key": keys[p.sc2.user_id],
             "map": choose_map(tick, p, vetoes),
             "server": static_data.server_for(p.bw.region, p.sc2.region).code} for p in pairs]
    return rows, pairs


def run(ctx: JobContext, tick: str, now: datetime) -> Reply:
    started = time.perf_counter()
    snapshot = guards.call(ctx, "ladder_wave_snapshot", now)
    pairing_started = time.perf_counter()
    rows, _ = plan(tick, snapshot)
    pairing_ms = (time.perf_counter() - pairing_started) * 1000
    seen = [e["join_key"] for e in snapshot["entries"]]
    result = guards.call(ctx, "ladder_wave_commit", tick, int(snapshot["wave_count"]), rows, seen, now,
                         CONFIRM_SECONDS, tick_interval_seconds(ctx))
    joins = {str(e["user_id"]): e for e in snapshot["entries"]}
    timers = [found_job(match, joins) for match in result["matches"]]
    created = result["status"] == "created"  # a re-run answers the same matches: measured once
    new = result["matches"] if created else []
    stats = WaveStats(queued=len(snapshot["entries"]), pairs=len(new),
                      gaps=[abs(m["players"][0]["mmr"] - m["players"][1]["mmr"]) for m in new],
                      seconds=time.perf_counter() - started)
    recent_waves.append(stats)
    joined = {str(e["user_id"]): int(e["joined_at"]) for e in snapshot["entries"]}
    waits = [max(0.0, now.timestamp() - joined[p["user_id"]]) for m in new for p in m["players"]
             if p["user_id"] in joined]
    return Reply(None, outcome=str(result["status"]), timers=tuple(timers),
                 metrics=(*wave_metrics(snapshot["entries"], stats, waits),
                          Metric("PairingTime", (round(pairing_ms, 3),), "Milliseconds")))


def found_job(match: dict[str, Any], joins: dict[str, dict[str, Any]]) -> Timer:
    """The match's own "match found" job. It carries each player's Join click (id and token: the
    queue entry that held them is gone once the match exists) so it can edit the Searching message."""
    searching = []
    for player in match["players"]:
        entry = joins.get(player["user_id"]) or {}
        if entry.get("join_token") and entry.get("join_application_id"):
            searching.append({"user_id": player["user_id"], "interaction_id": str(entry["join_key"]),
                              "application_id": str(entry["join_application_id"]),
                              "token": str(entry["join_token"])})
    number = match["match_id"]
    return Timer(FOUND_TIMER, f"match:{number}:found", 0, {"match_id": number, "searching": searching})


def searching_edits(match: dict[str, Any], searching: list[dict[str, Any]]) -> list[EditResponse]:
    """Each player's Searching message (the Join click's response) says the match was found, while
    the click's token lives; the outbox skips it after that (the DM always arrives)."""
    number = match["match_id"]
    return [EditResponse(
        f"match:{number}:searching:{s['user_id']}", s["interaction_id"], s["application_id"], s["token"],
        _found_note(number, match["confirm_deadline"], player_text(match, s["user_id"])))
        for s in searching]


def _found_note(number: int, deadline: int, tx: Text) -> dict[str, Any]:
    return responses.message(embeds=[responses.embed(
        tx("⚔️ Match #{number} found", number=number),
        tx("Check your direct messages: **Confirm** there before <t:{deadline}:t>.", deadline=deadline),
        color=0x2ECC71)])


def wave_metrics(entries: list[dict[str, Any]], stats: WaveStats, waits: list[float]) -> tuple[Metric, ...]:
    """Every wave reports its duration and pairs (the "waves stopped" alarm watches WaveDuration),
    the players queueing per side (a player queueing both games counts on both), and for the new
    matches each player's wait and each match's MMR gap."""
    return (
        Metric("WaveDuration", (round(stats.seconds * 1000, 3),), "Milliseconds"),
        Metric("WavePairs", (stats.pairs,)),
        Metric("QueueingPlayers", (sum(1 for e in entries if e.get("bw_race")),), dimensions=(("side", "bw"),)),
        Metric("QueueingPlayers", (sum(1 for e in entries if e.get("sc2_race")),), dimensions=(("side", "sc2"),)),
        Metric("MatchWait", tuple(waits), "Seconds"),
        Metric("MatchMmrGap", tuple(stats.gaps), "None"),
    )


@dataclass(frozen=True)
class WaveStats:
    """What a wave did (for metrics and the bench): entries seen, pairs made, MMR gaps, time."""

    queued: int
    pairs: int
    gaps: list[int]
    seconds: float


# The last waves run in this process (bounded), for the bench and the metrics emitter.
recent_waves: deque[WaveStats] = deque(maxlen=100)
