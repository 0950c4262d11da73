"""`ladderctl load`: a burst of signed interactions from many users against a running local stack.

Each virtual user plays a realistic session, one step after another as a person would (a click
needs the message it clicks): /setup (modal), the modal submit, Confirm; then /profile,
/leaderboard with a page click, /profile again, and so on until its share of the N interactions is
sent. `--concurrency` users are active at once. Interactions go through the emulator's deliver
endpoint, so they are signed and timed as Discord signs and times them.

Reported: ack latency p50/p99/max (what Discord's 3 s clock sees, plus one local hop), non-200
answers, time to the final message p50/p99 (from the emulator's edit timestamp), lost (no final
message within --wait), duplicated (the original message edited more than once by the bot for one
interaction, or database rows that do not match the confirmed setups) and error messages (the
"temporarily unavailable" answer, the worker's failure message, refused answers). Then the
stack's dev.log (and its rotated dev.log.1) is searched for every interaction token the run sent:
a token there would let anyone who can read the file answer as the bot for 15 minutes. Exits 1 on
any lost, duplicated, non-200 or token found.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ladderctl.drive.emulator_client import EmulatorClient, message_text
from ladderctl.drive.simulate import (
    DEFAULT_GUILD,
    command_data,
    iter_components,
    make_interaction,
    modal_submit_data,
)
from ladderctl.stack.info import DEFAULT_DATA_DIR, DEFAULT_TICK_SECONDS, StackInfo, read_stack

LOADING = 1 << 7
POLL_SECONDS = 0.1
UNAVAILABLE = "temporarily unavailable"
FAILED = "something went wrong"
FIRST_USER_ID = 800_000_000_000_000_000
LOG_FLUSH_SECONDS = 1.0


@dataclass
class Sent:
    user_id: str
    step: str
    token: str
    status: int
    callback_type: int | None
    ack_ms: float
    final_ms: float | None = None
    lost: bool = False
    errors: list[str] = field(default_factory=list)


def _edited_at(message: dict[str, Any]) -> float | None:
    stamp = message.get("edited_timestamp")
    return datetime.fromisoformat(stamp).timestamp() if stamp else None


def letters(number: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "ba": a distinct letters-only name part for each number."""
    out = ""
    while True:
        number, digit = divmod(number, 26)
        out = chr(ord("a") + digit) + out
        if number == 0:
            return out


class VirtualUser:
    def __init__(self, number: int, info: StackInfo, client: EmulatorClient, budget: int, wait: float,
                 results: list[Sent], lock: threading.Lock) -> None:
        self.user_id = str(FIRST_USER_ID + number)
        self.number = number
        self.info = info
        self.client = client
        self.budget = budget
        self.wait = wait
        self.results = results
        self.lock = lock
        self.message: dict[str, Any] | None = None  # the last final message (what a click clicks)
        self.confirmed = False

    def send(self, step: str, kind: int, data: dict[str, Any] | None,
             message: dict[str, Any] | None = None) -> Sent | None:
        if self.budget <= 0:
            return None
        self.budget -= 1
        interaction = make_interaction(kind, self.info.application_id, data, user_id=self.user_id,
                                       guild_id=DEFAULT_GUILD, message=message)
        started_wall, started = time.time(), time.perf_counter()
        status, answer = self.client.call("POST", "/_emulator/deliver", {"interaction": interaction})
        ack_ms = (time.perf_counter() - started) * 1000
        http_status = int(answer["status"]) if status == 200 and isinstance(answer, dict) else status
        response = answer.get("response") if isinstance(answer, dict) else None
        callback = response.get("type") if isinstance(response, dict) else None
        sent = Sent(self.user_id, step, interaction["token"], http_status, callback, ack_ms)
        if isinstance(answer, dict) and answer.get("refused"):
            sent.errors.append(f"refused: {answer['refused'][0]}")
        if callback == 4 and UNAVAILABLE in json.dumps(response):
            sent.errors.append("ingress: temporarily unavailable")
        if http_status == 200 and callback in (5, 6, 7):
            self._await_final(sent, started_wall, message)
        elif http_status == 200 and callback == 9:
            self.message = {"modal": response.get("data") or {}}
            sent.final_ms = ack_ms
        with self.lock:
            self.results.append(sent)
        return sent

    def _await_final(self, sent: Sent, started_wall: float, clicked: dict[str, Any] | None) -> None:
        deadline = time.monotonic() + self.wait
        clicked_edit = _edited_at(clicked) if clicked else None
        seen = -1  # the message's change count last looked at: the emulator answers at the next change
        while time.monotonic() < deadline:
            status, answer = self.client.call("GET", f"/_emulator/next/{sent.token}/{seen}")
            if status == 404:  # an emulator without /_emulator/next: poll
                time.sleep(POLL_SECONDS)
                status, answer = self.client.call("GET", f"/_emulator/messages/{sent.token}")
                answer = {"changes": -1, "message": answer}
            if status != 200 or not isinstance(answer, dict):
                time.sleep(POLL_SECONDS)
                continue
            seen, message = int(answer["changes"]), answer["message"]
            if not isinstance(message, dict):
                continue
            if sent.callback_type == 5:
                final = not (int(message.get("flags") or 0) & LOADING)
            elif sent.callback_type == 6:
                final = _edited_at(message) != clicked_edit
            else:  # 7: the ack already showed the clicked message disabled; the worker replaces it
                final = message_text(message) != message_text(clicked)
            if final:
                edited = _edited_at(message)
                sent.final_ms = ((edited - started_wall) * 1000 if edited else
                                 (time.time() - started_wall) * 1000)
                if FAILED in message_text(message).lower():
                    sent.errors.append("worker: something went wrong")
                self.message = message
                return
        sent.lost = True

    def run(self) -> None:
        while self.budget > 0:
            if not self.confirmed:
                self._setup()
                if not self.confirmed:
                    return  # the flow broke: what happened is in the results
            for step in (self._profile, self._leaderboard, self._profile):
                step()

    def _setup(self) -> None:
        opened = self.send("/setup", 2, command_data("setup", {"country": "FI", "region": "EUW"}))
        if opened is None or opened.callback_type != 9 or not self.message:
            return
        modal = self.message["modal"]
        # A player name is 3-12 English letters: the number spelled in base 26.
        fields = {"player_name": f"Load{letters(self.number)}", "battletag": f"Load{self.number}#1234"}
        submitted = self.send("/setup modal", 5, modal_submit_data(modal, fields))
        if submitted is None or submitted.final_ms is None or self.message is None:
            return
        confirm = next((c for c in iter_components(self.message.get("components"))
                        if str(c.get("label", "")).lower() == "confirm"), None)
        if confirm is None:
            return
        clicked = self.send("/setup Confirm", 3, {"custom_id": confirm["custom_id"],
                                                   "component_type": int(confirm.get("type", 2))},
                            message=self.message)
        self.confirmed = clicked is not None and clicked.final_ms is not None

    def _profile(self) -> None:
        self.send("/profile", 2, command_data("profile", {}))

    def _leaderboard(self) -> None:
        shown = self.send("/leaderboard", 2, command_data("leaderboard", {}))
        if shown is None or shown.final_ms is None or self.message is None:
            return
        pages = [c for c in iter_components(self.message.get("components"))
                 if str(c.get("custom_id", "")).startswith("lb:") and not c.get("disabled")]
        if pages:
            button = pages[-1]
            self.send("/leaderboard page", 3, {"custom_id": button["custom_id"],
                                                "component_type": int(button.get("type", 2))},
                      message=self.message)
        else:  # a one-page leaderboard has no page buttons: the user looks at a profile instead
            self._profile()


# A token is base64 of "interaction:<id>:<random>": its middle is random, so this slice found in
# the log means (a piece of) that token was written there, whatever the text around it.
FINGERPRINT = slice(60, 92)


@dataclass
class TokenScan:
    tokens: int
    scanned_bytes: int
    found: list[str]  # the steps whose token is in the log


def scan_log_for_tokens(log_file: Path, results: list[Sent]) -> TokenScan:
    """Search dev.log and dev.log.1 for each interaction token of the run (a part of it is enough)."""
    text = b""
    for path in (log_file.with_name(log_file.name + ".1"), log_file):
        try:
            text += path.read_bytes()
        except FileNotFoundError:
            continue
    found = [f"{r.step} by {r.user_id}" for r in results
             if len(r.token) >= FINGERPRINT.stop and text.find(r.token[FINGERPRINT].encode()) >= 0]
    return TokenScan(len(results), len(text), found)


@dataclass
class Report:
    results: list[Sent]
    elapsed_s: float
    duplicated: list[str]
    write_problems: list[str]
    token_scan: TokenScan | None = None

    @property
    def non_200(self) -> list[Sent]:
        return [r for r in self.results if r.status != 200]

    @property
    def lost(self) -> list[Sent]:
        return [r for r in self.results if r.lost]

    @property
    def failed(self) -> bool:
        leaked = self.token_scan is not None and bool(self.token_scan.found)
        return bool(self.non_200 or self.lost or self.duplicated or self.write_problems or leaked)

    def render(self) -> str:
        acks = [r.ack_ms for r in self.results]
        finals = [r.final_ms for r in self.results if r.final_ms is not None and r.callback_type in (5, 6, 7)]
        errors = Counter(e for r in self.results for e in r.errors)
        steps = Counter(r.step for r in self.results)
        lines = [f"{len(self.results)} interactions from {len({r.user_id for r in self.results})} users "
                 f"in {self.elapsed_s:.1f} s ({len(self.results) / max(self.elapsed_s, 1e-9):.0f}/s): "
                 + ", ".join(f"{n} {s}" for s, n in steps.most_common())]
        if acks:
            lines.append(f"ack                 p50 {statistics.median(acks):7.1f} ms   p99 {_pct(acks, 0.99):7.1f} ms"
                         f"   max {max(acks):7.1f} ms")
        if finals:
            lines.append(f"final message       p50 {statistics.median(finals):7.1f} ms   p99 "
                         f"{_pct(finals, 0.99):7.1f} ms   max {max(finals):7.1f} ms")
        lines.append(f"non-200 {len(self.non_200)}   lost {len(self.lost)}   duplicated {len(self.duplicated)}"
                     f"   write mismatches {len(self.write_problems)}   error messages {sum(errors.values())}")
        for text, count in errors.most_common(10):
            lines.append(f"  error: {text} (x{count})")
        for problem in (self.duplicated + self.write_problems)[:10]:
            lines.append(f"  duplicated: {problem}")
        for sent in self.lost[:5]:
            lines.append(f"  lost: {sent.step} by {sent.user_id} (answered type {sent.callback_type})")
        for sent in self.non_200[:5]:
            lines.append(f"  non-200: {sent.step} by {sent.user_id}: HTTP {sent.status}")
        if self.token_scan is not None:
            scan = self.token_scan
            lines.append(f"tokens in dev.log {len(scan.found)} (each of the {scan.tokens} interaction tokens "
                         f"searched for in {scan.scanned_bytes / 1e6:.1f} MB of dev.log and dev.log.1)")
            for step in scan.found[:5]:
                lines.append(f"  token in dev.log: {step}")
        return "\n".join(lines)


def _pct(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def _duplicated_edits(client: EmulatorClient, results: list[Sent]) -> list[str]:
    """Interactions whose original message the bot edited successfully more than once."""
    _, requests = client.call("GET", "/_emulator/requests")
    tokens = {r.token: r for r in results}
    edits: Counter[str] = Counter()
    for request in requests or []:
        parts = request["path"].split("/")
        if (request["method"] == "PATCH" and parts[-1] == "@original" and 200 <= int(request["status"]) < 300
                and len(parts) >= 3 and parts[-3] in tokens):
            edits[parts[-3]] += 1
    return [f"{tokens[t].step} by {tokens[t].user_id}: {n} edits" for t, n in edits.items() if n > 1]


def _write_mismatches(info: StackInfo, users: list[str], results: list[Sent]) -> list[str]:
    """Every user whose setup was confirmed has exactly one player row, and no one else has one."""
    from ladderctl.postgres import connect

    confirmed = {r.user_id for r in results if r.step == "/setup Confirm" and r.final_ms is not None}
    conn = connect(info.database_url)
    try:
        rows = conn.run("SELECT discord_user_id::text, count(*) FROM players WHERE discord_user_id = ANY(:ids) "
                        "GROUP BY 1", ids=[int(u) for u in users])
    finally:
        conn.close()
    found = {str(user): int(count) for user, count in rows}
    problems = [f"user {u}: {n} player rows" for u, n in found.items() if n != 1]
    problems += [f"user {u}: setup confirmed but no player row" for u in confirmed - set(found)]
    return problems


def run_load(info: StackInfo, *, interactions: int, users: int, concurrency: int, wait: float,
             first_user: int = 0) -> Report:
    results: list[Sent] = []
    lock = threading.Lock()
    share, extra = divmod(interactions, users)
    queue = [(first_user + n, share + (1 if n < extra else 0)) for n in range(users)]
    assert info.emulator_url is not None
    emulator_url = info.emulator_url

    def worker() -> None:
        client = EmulatorClient(emulator_url)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    number, budget = queue.pop(0)
                VirtualUser(number, info, client, budget, wait, results, lock).run()
        finally:
            client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, name=f"load-{n}", daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    client = EmulatorClient(emulator_url, timeout=120)
    try:
        duplicated = _duplicated_edits(client, results)
    finally:
        client.close()
    user_ids = [str(FIRST_USER_ID + first_user + n) for n in range(users)]
    report = Report(results, elapsed, duplicated, _write_mismatches(info, user_ids, results))
    if info.log_file:
        time.sleep(LOG_FLUSH_SECONDS)  # the last jobs' log lines are on their way to the file
        report.token_scan = scan_log_for_tokens(Path(info.log_file), results)
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="the dev stack's data folder")
    parser.add_argument("-n", "--interactions", type=int, default=2000, help="interactions in all (default 2000)")
    parser.add_argument("--users", type=int, default=200, help="distinct users (default 200)")
    parser.add_argument("--concurrency", type=int, default=32, help="users active at once (default 32)")
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for each final message")
    parser.add_argument("--first-user", type=int, default=0,
                        help="offset of the first user number (run again with new users on the same stack)")
    parser.add_argument("--scenario", choices=("interactions", "wave"), default="interactions",
                        help="interactions: the setup/profile/leaderboard burst (default); wave: N players queue, "
                             "are matched, and confirm, abort or ignore (ladderctl.drive.load_wave)")
    parser.add_argument("--players", type=int, default=2000, help="wave: players who queue (default 2000)")
    parser.add_argument("--tick-seconds", type=float, default=DEFAULT_TICK_SECONDS,
                        help="wave: the stack's tick interval (deadlines may end up to 2 ticks late)")
    parser.add_argument("--fault", choices=("none", "global-429", "tick-twice", "kill-worker"), default="none",
                        help="wave: a failure injected once the joins are in (ladderctl.drive.load_wave)")
    parser.add_argument("--known-players", action="store_true",
                        help="wave: players the bot has DMed before (their DM channels already open)")
    parser.add_argument("--no-ignore", action="store_true",
                        help="wave: the players who would ignore their DM confirm instead (no wait for deadlines)")
    parser.add_argument("--settle", type=float, default=600.0,
                        help="wave: seconds to wait for every match to end after the last DM was acted on")


def run(args: argparse.Namespace) -> int:
    info = read_stack(args.data_dir)
    if info is None or not info.emulator_url:
        print(f"ladderctl load: no running local stack with the emulator in {args.data_dir} "
              "(start `ladderctl dev` first)", file=sys.stderr)
        return 1
    if args.scenario == "wave":
        from ladderctl.drive.load_wave import run_wave_scenario

        wave = run_wave_scenario(info, args)
        print(wave.render())
        return 1 if wave.failed else 0
    report = run_load(info, interactions=args.interactions, users=args.users, concurrency=args.concurrency,
                      wait=args.wait, first_user=args.first_user)
    print(report.render())
    return 1 if report.failed else 0
