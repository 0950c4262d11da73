"""Fetch an uploaded replay from Discord's CDN: https only, only Discord's CDN hosts, at most
MAX_REPLAY_BYTES (checked against the attachment's declared size, then while reading), each
request bounded by a timeout, and retried a few times (the CDN answers 404 for a moment after an
upload, and 5xx now and then) before the uploader is told.

The URL comes from the interaction (data.resolved.attachments), which the ingress verified as
Discord's; the host check still stands so a bug elsewhere can never make the worker fetch
anything else (the worker runs with the database's and the bot's credentials).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import requests

# Real 1v1 replays are 30-500 KB (a long game ~1-2 MB); the worker has 512 MB.
MAX_REPLAY_BYTES = 5 * 1024 * 1024
CDN_HOSTS = frozenset({"cdn.discordapp.com", "media.discordapp.net"})
# The worker has 15 s for the whole job: two tries of at most 3 s, then the parse (bounded.py).
TIMEOUT_SECONDS = 3.0
ATTEMPTS = 2
BACKOFF_SECONDS = (1.0,)


class FetchRefused(ValueError):
    """The attachment can't be a replay we fetch (wrong host, too big): one line, no retry."""


class FetchFailed(RuntimeError):
    """The CDN did not hand the file over after every attempt: one line for the uploader."""


def allowed(url: str, local_base: str = "") -> bool:
    if local_base and url.startswith(local_base + "/"):
        return True  # the local stack's emulator (DISCORD_CDN_BASE), never set in AWS
    parts = urlsplit(url)
    return parts.scheme == "https" and parts.hostname in CDN_HOSTS and parts.port in (None, 443) \
        and not parts.username and not parts.password


def fetch_replay(url: str, declared_size: int | None, *, local_base: str = "",
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep,
                 max_bytes: int = MAX_REPLAY_BYTES, timeout: float | None = None) -> bytes:
    if not allowed(url, local_base):
        raise FetchRefused("that file is not on Discord's CDN")
    if declared_size is not None and declared_size > max_bytes:
        raise FetchRefused(f"the file is {declared_size / 1048576:.1f} MB; a replay is at most "
                           f"{max_bytes // 1048576} MB")
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    http = session or requests.Session()
    problem = ""
    for attempt in range(ATTEMPTS):
        if attempt:
            sleep(BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)])
        try:
            # No redirects: a redirect could leave Discord's CDN.
            with http.get(url, timeout=timeout, stream=True, allow_redirects=False) as answer:
                if answer.status_code != 200:
                    problem = f"Discord's CDN answered {answer.status_code}"
                    continue
                body = bytearray()
                # `timeout` bounds each read; this bounds the whole download (a trickle of bytes).
                give_up = time.monotonic() + timeout
                for chunk in answer.iter_content(64 * 1024):
                    body += chunk
                    if time.monotonic() > give_up:
                        raise requests.Timeout("the download took too long")
                    if len(body) > max_bytes:
                        raise FetchRefused(f"the file is over {max_bytes // 1048576} MB; a replay is smaller")
                return bytes(body)
        except requests.RequestException as error:
            problem = f"Discord's CDN did not answer ({type(error).__name__})"
    raise FetchFailed(f"{problem} after {ATTEMPTS} tries")
