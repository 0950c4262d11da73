"""`ladderctl load --scenario wave --players N`: a community-sized matchmaking wave on the local stack.

N players are set up by SQL (profile, terms, activation, both races chosen), then each opens
/queue and presses Join through the real ingress (signed, as Discord sends them), while the local
stack's schedule is held (no ticks), so the next tick's wave pairs them all. Each matched player then acts on their "Match found" DM as a crowd does: most
confirm, some abort (Abort, then "Really abort?"), some ignore it until the deadline.

Checked and printed, from the emulator's record of every request and from the database:
- every matched player got exactly one "Match #N found" DM;
- every match ended (confirmed, aborted or abandoned) within its deadline + 2 ticks;
- nobody is in a match or the queue who should not be (a confirmed match's players are in it; the
  others are free; at most one odd player still queued);
- the dead-letter queue is empty;
- time from the wave's tick to the last "found" DM.
Exits 1 when a check fails.

`--fault` injects one failure while the found DMs go out, after the joins: `global-429` (Discord
answers every bot request with a global 429 for 60 s), `tick-twice` (the same tick delivered twice
more), `kill-worker` (the worker instances killed mid-batch; the stack starts new ones, as Lambda
does, and what they held comes back after the queue's visibility timeout).
"""

from __future__ import annotations

import argparse
import queue
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ladderctl.drive.emulator_client import EmulatorClient, message_text
from ladderctl.drive.simulate import DEFAULT_GUILD, command_data, iter_components, make_interaction
from ladderctl.stack.info import StackInfo, ticks_held_file

FIRST_USER_ID = 820_000_000_000_000_000
# The found DM's title (ladderline.ladder.match_messages.found_body); it changes once acted on.
FOUND = re.compile(r"Match #\d+ found")


@dataclass
class Player:
    number: int
    user_id: str
    plan: str  # confirm | abort | ignore
    joined: bool = False
    found: list[dict[str, Any]] = field(default_factory=list)
    acted: str | None = None
    problems: list[str] = field(default_factory=list)


def plan_for(number: int, *, ignore: bool = True) -> str:
    """8 in 10 confirm, 1 in 10 aborts, 1 in 10 ignores the DM (deterministic per player, spread so
    that a wave, which pairs neighbours, mixes them); without `ignore` those confirm too (nobody
    waits for a deadline)."""
    return {8: "abort", 9: "ignore" if ignore else "confirm"}.get(number * 37 % 10, "confirm")


def seed_known_dm_channels(info: StackInfo, database_url: str, players: list[Player]) -> None:
    """--known-players: a community the bot has DMed before. Their DM channels exist on the
    emulator and in the worker's cache (dm_channels), so each "found" DM is one request rather
    than two, and no Create DM bucket is spent during the wave."""
    from ladderctl.postgres import connect

    client = EmulatorClient(str(info.emulator_url), timeout=120)
    try:
        status, channels = client.call("POST", "/_emulator/dm-channels", {"user_ids": [p.user_id for p in players]})
    finally:
        client.close()
    if status != 200 or not isinstance(channels, dict):
        raise RuntimeError(f"the emulator did not open the DM channels: {status} {channels}")
    conn = connect(database_url)
    try:
        conn.run("INSERT INTO dm_channels (discord_user_id, channel_id) "
                 "SELECT u, c FROM unnest(CAST(:users AS bigint[]), CAST(:channels AS bigint[])) AS t(u, c) "
                 "ON CONFLICT (discord_user_id) DO UPDATE SET channel_id = EXCLUDED.channel_id",
                 users=[int(u) for u in channels], channels=[int(c) for c in channels.values()])
    finally:
        conn.close()


def seed_players(database_url: str, players: list[Player]) -> None:
    """Ready to queue: profile, terms, activation and both races chosen, all at MMR 1500 in one
    region (so one wave can pair everyone). Leaves nothing of a previous run of these ids behind."""
    from ladderctl.postgres import connect

    ids = [int(p.user_id) for p in players]
    conn = connect(database_url)
    try:
        conn.run("BEGIN")
        conn.run("DELETE FROM queue_entries WHERE discord_user_id = ANY(:ids)", ids=ids)
        conn.run("UPDATE players SET active_match_id = NULL, queue_timeout_until = NULL "
                 "WHERE discord_user_id = ANY(:ids)", ids=ids)
        conn.run("INSERT INTO players (discord_user_id, player_name, battletag, country, region, "
                 "terms_accepted_at, activated_at) "
                 "SELECT u, 'Wave' || (u - :first), 'Wave' || (u - :first) || '#1234', 'DE', 'EUW', now(), now() "
                 "FROM unnest(CAST(:ids AS bigint[])) u ON CONFLICT (discord_user_id) DO NOTHING",
                 ids=ids, first=FIRST_USER_ID)
        conn.run("INSERT INTO preferences_1v1 (discord_user_id, last_chosen_races) "
                 "SELECT u, ARRAY['bw_zerg', 'sc2_terran'] FROM unnest(CAST(:ids AS bigint[])) u "
                 "ON CONFLICT (discord_user_id) DO UPDATE SET last_chosen_races = EXCLUDED.last_chosen_races",
                 ids=ids)
        conn.run("COMMIT")
    finally:
        conn.close()


class WaveLoad:
    def __init__(self, info: StackInfo, players: list[Player], concurrency: int, wait: float) -> None:
        assert info.emulator_url is not None
        self.info, self.players, self.concurrency, self.wait = info, players, concurrency, wait
        self._lock = threading.Lock()

    def _each(self, action: Any, players: list[Player]) -> None:
        """Run action(player, client) for each of `players` on `concurrency` threads."""
        pending = list(players)

        def worker() -> None:
            client = EmulatorClient(str(self.info.emulator_url), timeout=60)
            try:
                while True:
                    with self._lock:
                        if not pending:
                            return
                        player = pending.pop(0)
                    try:
                        action(player, client)
                    except Exception as exc:  # noqa: BLE001 - reported per player, the run goes on
                        player.problems.append(f"{type(exc).__name__}: {exc}")
            finally:
                client.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(self.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _deliver(self, client: EmulatorClient, interaction: dict[str, Any]) -> dict[str, Any]:
        status, answer = client.call("POST", "/_emulator/deliver", {"interaction": interaction})
        if status != 200 or not isinstance(answer, dict) or int(answer.get("status", 0)) != 200:
            raise RuntimeError(f"interaction answered {answer!r:.200}")
        return answer

    def _final(self, client: EmulatorClient, token: str) -> dict[str, Any] | None:
        deadline = time.monotonic() + self.wait
        seen = -1
        while time.monotonic() < deadline:
            status, answer = client.call("GET", f"/_emulator/next/{token}/{seen}")
            if status == 200 and isinstance(answer, dict) and isinstance(answer.get("message"), dict):
                seen, message = int(answer["changes"]), answer["message"]
                if not int(message.get("flags") or 0) & (1 << 7) and message.get("components") is not None:
                    return message
            elif status != 200:
                time.sleep(0.1)
        return None

    def join(self, player: Player, client: EmulatorClient) -> None:
        opened = make_interaction(2, self.info.application_id, command_data("queue", {}),
                                  user_id=player.user_id, guild_id=DEFAULT_GUILD)
        self._deliver(client, opened)
        view = self._final(client, opened["token"])
        join = next((c for c in iter_components((view or {}).get("components"))
                     if c.get("custom_id") == "qjoin" and not c.get("disabled")), None)
        if view is None or join is None:
            player.problems.append("no Join button on /queue")
            return
        click = make_interaction(3, self.info.application_id, {"custom_id": "qjoin", "component_type": 2},
                                 user_id=player.user_id, guild_id=DEFAULT_GUILD, message=view)
        self._deliver(client, click)
        player.joined = True

    def act_on_found(self, deadline: float) -> None:
        """The crowd acts as its DMs arrive: one reader follows the emulator's feed of DMs (no
        polling of each player's DMs in turn: at 2,000 players that polling took the CPU the stack
        needed), and `concurrency` threads act on each "found" DM at once. Ends when the wave ran
        and none of the players' matches is still being confirmed (a DM edited to "abandoned"
        before its player saw it is never acted on), or at `deadline`."""
        by_user = {p.user_id: p for p in self.players if p.joined}
        seen: set[str] = set()
        work: queue.Queue[tuple[Player, dict[str, Any]] | None] = queue.Queue()

        def actor() -> None:
            client = EmulatorClient(str(self.info.emulator_url), timeout=60)
            try:
                while (item := work.get()) is not None:
                    player, message = item
                    try:
                        self.act(player, client, message)
                    except Exception as exc:  # noqa: BLE001 - reported per player, the run goes on
                        player.problems.append(f"{type(exc).__name__}: {exc}")
            finally:
                client.close()

        actors = [threading.Thread(target=actor, daemon=True) for _ in range(self.concurrency)]
        for thread in actors:
            thread.start()
        reader = EmulatorClient(str(self.info.emulator_url), timeout=60)
        cursor, next_check = 0, 0.0
        try:
            while time.monotonic() < deadline:
                status, answer = reader.call("GET", f"/_emulator/dm-feed/{cursor}")
                if status == 200 and isinstance(answer, dict):
                    cursor = int(answer["cursor"])
                    for item in answer["dms"]:
                        player = by_user.get(str(item["user_id"]))
                        if player is not None and player.user_id not in seen and FOUND.search(message_text(item["message"])):
                            seen.add(player.user_id)
                            work.put((player, item["message"]))
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + 2.0
                    if len(seen) == len(by_user) or (
                            self.wave_ran() and not open_matches(self.info.database_url, self.players)):
                        break
        finally:
            reader.close()
            for _ in actors:
                work.put(None)
            for thread in actors:
                thread.join()

    def wave_ran(self) -> bool:
        return bool(open_matches(self.info.database_url, self.players, status=None))

    def act(self, player: Player, client: EmulatorClient, message: dict[str, Any]) -> None:
        """Confirm, abort or ignore the found DM `message` as planned (sets player.acted)."""
        if player.plan == "ignore":
            player.acted = "ignored"
            return
        label = "Confirm" if player.plan == "confirm" else "Abort"
        button = next(c for c in iter_components(message.get("components")) if c.get("label") == label)
        self._click(client, player, message, button)
        if player.plan == "abort":
            # Abort is a deferred update: the worker edits the DM to ask again; that click aborts.
            asked = self._edited(client, player, message, "Really abort")
            sure = next((c for c in iter_components((asked or {}).get("components"))
                         if str(c.get("label", "")).startswith("Really abort")), None)
            if asked is None or sure is None:
                player.problems.append("Abort did not ask for confirmation")
                return
            self._click(client, player, asked, sure)
        player.acted = player.plan

    def _edited(self, client: EmulatorClient, player: Player, message: dict[str, Any],
                label: str) -> dict[str, Any] | None:
        """The DM `message` once the bot has edited it to carry a button starting with `label`."""
        deadline = time.monotonic() + self.wait
        while time.monotonic() < deadline:
            _, dms = client.call("GET", f"/_emulator/dms/{player.user_id}")
            for current in dms or []:
                if current.get("id") == message.get("id") and any(
                        str(c.get("label", "")).startswith(label) for c in iter_components(current.get("components"))):
                    return current
            time.sleep(0.3)
        return None

    def _click(self, client: EmulatorClient, player: Player, message: dict[str, Any],
               button: dict[str, Any]) -> dict[str, Any]:
        interaction = make_interaction(3, self.info.application_id,
                                       {"custom_id": button["custom_id"], "component_type": 2},
                                       user_id=player.user_id, guild_id=None,
                                       channel_id=str(message.get("channel_id")), message=message)
        return self._deliver(client, interaction)


def open_matches(database_url: str, players: list[Player], status: str | None = "confirming") -> int:
    """How many matches of these players are in `status` (None: in any status)."""
    from ladderctl.postgres import connect

    ids = [int(p.user_id) for p in players]
    conn = connect(database_url)
    try:
        [[count]] = conn.run("SELECT count(*) FROM matches_1v1 WHERE (player_1 = ANY(:ids) OR player_2 = ANY(:ids)) "
                             "AND (CAST(:status AS text) IS NULL OR status = :status)", ids=ids, status=status)
    finally:
        conn.close()
    return int(count)


def wait_for_queued(database_url: str, players: list[Player], deadline: float) -> int:
    """Waits until all these players are in the queue (or `deadline`); how many are."""
    from ladderctl.postgres import connect

    ids = [int(p.user_id) for p in players]
    conn = connect(database_url)
    try:
        while True:
            [[count]] = conn.run("SELECT count(*) FROM queue_entries WHERE discord_user_id = ANY(:ids)", ids=ids)
            if count >= len(ids) or time.monotonic() >= deadline:
                return int(count)
            time.sleep(0.2)
    finally:
        conn.close()


@dataclass
class WaveReport:
    players: int
    joined: int
    matched: int
    outcomes: Counter[str]
    last_dm_s: float | None
    problems: list[str]

    @property
    def failed(self) -> bool:
        return bool(self.problems) or self.matched == 0

    def render(self) -> str:
        lines = [f"{self.players} players, {self.joined} joined through the ingress, {self.matched} matched in "
                 f"{self.matched // 2} matches: " + ", ".join(f"{n} {s}" for s, n in sorted(self.outcomes.items()))]
        if self.last_dm_s is not None:
            lines.append(f"time from the end of the joins (the wave's tick) to the last \"found\" DM: "
                         f"{self.last_dm_s:.1f} s")
        checks = ("exactly one \"found\" DM per matched player", "every match ended within its deadline + 2 ticks",
                  "nobody left in a match or the queue who should not be", "dead-letter queue empty")
        lines += [f"  {'PASS' if not self.problems else 'see below'}: {c}" for c in checks]
        lines += [f"  FAIL: {p}" for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"  ... and {len(self.problems) - 20} more")
        return "\n".join(lines)


def check(info: StackInfo, players: list[Player], started: float, tick_seconds: float,
          client: EmulatorClient) -> WaveReport:
    from ladderctl.postgres import connect

    problems = [f"player {p.number}: {text}" for p in players for text in p.problems]
    ids = [int(p.user_id) for p in players]
    conn = connect(info.database_url)
    try:
        matches = conn.run(
            "SELECT match_id, player_1::text, player_2::text, status, "
            "extract(epoch FROM coalesce(confirmed_at, completed_at) - confirm_deadline) "
            "FROM matches_1v1 WHERE player_1 = ANY(:ids) OR player_2 = ANY(:ids)", ids=ids)
        in_match = dict(conn.run("SELECT discord_user_id::text, active_match_id FROM players "
                                 "WHERE discord_user_id = ANY(:ids) AND active_match_id IS NOT NULL", ids=ids))
        queued = [r[0] for r in conn.run("SELECT discord_user_id::text FROM queue_entries "
                                         "WHERE discord_user_id = ANY(:ids)", ids=ids)]
    finally:
        conn.close()
    outcomes: Counter[str] = Counter()
    matched: dict[str, tuple[int, str]] = {}
    for match_id, p1, p2, status, late_s in matches:
        outcomes[status] += 1
        matched[p1] = matched[p2] = (match_id, status)
        if status == "confirming":
            problems.append(f"match {match_id} still confirming")
        elif late_s is not None and float(late_s) > 2 * tick_seconds:
            problems.append(f"match {match_id} {status} {float(late_s):.0f} s after its deadline")
    # Exactly one "found" DM per matched player, from the emulator's record of what the bot sent
    # (the message itself changes once acted on).
    _, requests = client.call("GET", "/_emulator/requests")
    sent_found: Counter[str] = Counter()
    last_dm: float | None = None
    for request in requests or []:
        body = request.get("json") if isinstance(request.get("json"), dict) else {}
        titles = " ".join(str(e.get("title") or "") for e in body.get("embeds") or [])
        if (request["method"] == "POST" and request["path"].endswith("/messages") and 200 <= request["status"] < 300
                and FOUND.search(titles)):
            sent_found[request["path"].split("/")[-2]] += 1
            last_dm = max(last_dm or 0.0, float(request["received_at"]))
    for player in players:
        _, dms = client.call("GET", f"/_emulator/dms/{player.user_id}")
        channel = str((dms or [{}])[0].get("channel_id", "")) if dms else ""
        count = sent_found.get(channel, 0)
        # One each; none for a player whose match ended (the opponent aborted) before their DM
        # could go out: the found job tells only a match still being confirmed.
        ended_early = player.user_id in matched and matched[player.user_id][1] == "aborted"
        if player.user_id in matched and count != 1 and not (count == 0 and ended_early):
            problems.append(f"player {player.number}: {count} \"found\" DMs")
        if player.user_id not in matched and count:
            problems.append(f"player {player.number}: a \"found\" DM without a match")
        match = matched.get(player.user_id)
        should_be_in = match[0] if match and match[1] == "confirmed" else None
        if in_match.get(player.user_id) != should_be_in:
            problems.append(f"player {player.number}: in match {in_match.get(player.user_id)}, "
                            f"expected {should_be_in}")
    if len(queued) > 1 or any(u in matched for u in queued):
        problems.append(f"{len(queued)} players still queued")
    if info.dlq_url:
        import boto3

        # The stack's moto takes any credentials (a real-AWS stack: the environment's own).
        local = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"} if info.aws_endpoint_url else {}
        sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=info.aws_endpoint_url, **local)
        waiting = int(sqs.get_queue_attributes(QueueUrl=info.dlq_url, AttributeNames=[
            "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"])
        if waiting:
            problems.append(f"{waiting} jobs in the dead-letter queue")
    return WaveReport(len(players), sum(p.joined for p in players), len(matched), outcomes,
                      (last_dm - started) if last_dm else None, problems)


FAULTS = ("none", "global-429", "tick-twice", "kill-worker")
GLOBAL_429_SECONDS = 60.0


def inject(info: StackInfo, fault: str, client: EmulatorClient) -> str:
    """Start `fault` now; what was done, for the report."""
    if fault == "global-429":
        client.call("POST", "/_emulator/block-globally", {"seconds": GLOBAL_429_SECONDS})
        return f"every bot request answered with a global 429 for {GLOBAL_429_SECONDS:g} s"
    if fault == "tick-twice":
        import boto3
        from ladderline.job import Job

        local = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"} if info.aws_endpoint_url else {}
        sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=info.aws_endpoint_url, **local)
        tick = Job.tick(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())).to_json()
        for _ in range(2):
            sqs.send_message(QueueUrl=info.queue_url, MessageBody=tick)
        return "one tick delivered twice"
    if fault == "kill-worker":
        import os
        import signal
        import subprocess

        found = subprocess.run(["pgrep", "-f", f"ladderctl.stack.worker_host --queue-url {info.queue_url}"],
                               capture_output=True, text=True, check=False).stdout.split()
        for pid in found:
            os.kill(int(pid), signal.SIGKILL)
        return f"worker instances killed mid-batch ({len(found)} process)"
    return "no fault"


def run_wave_scenario(info: StackInfo, args: argparse.Namespace) -> WaveReport:
    players = [Player(n, str(FIRST_USER_ID + args.first_user + n), plan_for(n, ignore=not getattr(args, "no_ignore", False)))
               for n in range(args.players)]
    seed_players(info.database_url, players)
    if getattr(args, "known_players", False):
        seed_known_dm_channels(info, info.database_url, players)
        print(f"the bot has DMed these {len(players)} players before: their DM channels are open", flush=True)
    load = WaveLoad(info, players, args.concurrency, args.wait)
    # The stack's schedule is held while the crowd joins, so one wave pairs them all (rather than
    # a wave every tick pairing whoever has joined so far).
    held = ticks_held_file(Path(info.log_file).parent)
    held.touch()
    try:
        joining = time.time()
        load._each(load.join, players)
        # A click is acknowledged before its job runs: the hold lasts until every join is in the
        # queue, so the wave never starts with some of the crowd still on its way in.
        wait_for_queued(info.database_url, [p for p in players if p.joined], time.monotonic() + args.settle)
    finally:
        held.unlink(missing_ok=True)
    started = time.time()
    print(f"{sum(p.joined for p in players)} of {len(players)} joined in {started - joining:.1f} s "
          "(the schedule held meanwhile); waiting for the wave and the DMs", flush=True)
    fault = getattr(args, "fault", "none")
    if fault != "none":
        injector = EmulatorClient(str(info.emulator_url))
        try:
            print(f"fault: {inject(info, fault, injector)}", flush=True)
        finally:
            injector.close()
    load.act_on_found(time.monotonic() + args.settle)
    # The ignored matches end at their deadline (announce + 120 s): wait for the last, + 2 ticks.
    settle_until = time.monotonic() + args.settle
    client = EmulatorClient(str(info.emulator_url), timeout=120)
    try:
        while time.monotonic() < settle_until and open_matches(info.database_url, players):
            time.sleep(1)
        return check(info, players, started, args.tick_seconds, client)
    finally:
        client.close()
