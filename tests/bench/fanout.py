"""Part F: how long a wave's "match found" DMs take at Discord's global limit.

N matches' DMs (2 per match) go out the way the worker sends them: each match is its own job
(ladder/fanout.py), the jobs run on CONTAINERS worker containers side by side (each its own
DiscordRest: its own view of the global 50/s, as in Lambda), each DM through the outbox's path
(the kept DM channel when there is one, else open + create) against the Discord emulator, which
enforces the global limit across all of them (429 scope global beyond it) and the per-channel
buckets. Printed: the time to the last DM, requests made, global 429s, and the extrapolation to
10,000 players. A second run with every DM channel already kept shows what keeping them saves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ladderctl.stack.discord_emulator import DiscordEmulator
from ladderline.discord.rest import DiscordRest, RestResult

BOT = "bench-bot-token"
CONTAINERS = 4


def _until_sent(call: Callable[[], RestResult], counts: dict[str, int], lock: threading.Lock) -> RestResult:
    """A call as the job makes it, and again when the job is handed back (rate limited)."""
    while True:
        result = call()
        with lock:
            counts["requests"] += result.attempts
        if result.delivered:
            return result
        assert result.retriable, result


def _send_all(emulator: DiscordEmulator, users: list[str], kept: dict[str, str]) -> tuple[float, int, int]:
    clients = [DiscordRest(emulator.base_url, bot_token=lambda: BOT) for _ in range(CONTAINERS)]
    lock = threading.Lock()
    counts = {"requests": 0}

    def job(index: int) -> None:
        client = clients[index % CONTAINERS]
        for user in users[2 * index:2 * index + 2]:  # a match: its two players
            deadline = time.time() + 600
            channel = kept.get(user)
            if channel is None:
                opened = _until_sent(lambda u=user, d=deadline: client.open_dm(u, deadline=d), counts, lock)
                channel = str(opened.data["id"])
                with lock:
                    kept[user] = channel
            _until_sent(lambda c=channel, u=user, d=deadline: client.create_message(
                c, {"content": "Match found"}, nonce=f"n{u}", deadline=d), counts, lock)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONTAINERS * 4) as pool:
        list(pool.map(job, range(len(users) // 2)))
    seconds = time.perf_counter() - started
    global_429 = sum(1 for r in emulator.requests if r.status == 429)
    return seconds, counts["requests"], global_429


def run_part_f(players: int = 200) -> bool:
    users = [str(900_000_000_000_000_000 + i) for i in range(players)]
    print(f"Part F: {players} players' match-found DMs, {CONTAINERS} worker containers, Discord's global limit")
    kept: dict[str, str] = {}
    with DiscordEmulator(bot_token=BOT) as emulator:
        cold, cold_requests, cold_429 = _send_all(emulator, users, kept)
        time.sleep(1.1)  # a fresh global window
        # The next wave's DMs to the same players: every DM channel is kept now.
        warm, warm_requests, all_429 = _send_all(emulator, users, kept)
    for label, seconds, requests in (("DM channels opened", cold, cold_requests),
                                     ("DM channels kept", warm, warm_requests)):
        print(f"  {label:>18}: {seconds:6.1f} s for {requests} requests; "
              f"10,000 players at this pace: ~{seconds * 10_000 / players:.0f} s")
    print(f"  429s answered (Create DM's bucket, the global limit): {cold_429} opening, "
          f"{all_429 - cold_429} with channels kept")
    return True
