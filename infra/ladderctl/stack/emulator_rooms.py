"""The emulator's guild channels and threads: the routes a bot uses to open private rooms.

Served as Discord serves them (developer docs, resources/channel and resources/guild; the field
rules from the official OpenAPI spec's CreateTextThreadWithoutMessageRequest):

- POST /channels/{id}/threads: a thread in a guild text channel, without a message. `name` 1-100
  characters, `type` 10, 11 or 12 (here 11 public or 12 private: 10 is for announcement channels),
  `auto_archive_duration` 60, 1440, 4320 or 10080, `invitable` a boolean (private threads only).
  An unknown parent is 404 Unknown Channel (10003); a bad field is 400 Invalid Form Body (50035).
  Discord has no nonce for it: two POSTs make two threads, as here.
- PUT /channels/{thread}/thread-members/{user}: 204, idempotent; a locked archived thread 400.
- GET /guilds/{guild}/threads/active: every thread of the guild that is not archived, public and
  private (`threads`, `members`, `has_more`).
- PATCH /channels/{thread}: `name`, `archived`, `locked`, `auto_archive_duration`, `invitable`.
- POST /guilds/{guild}/channels: a text channel (`type` 0) in a category (`parent_id`, type 4, of
  the same guild) with `permission_overwrites` ({id, type 0 role or 1 member, allow, deny: a
  permission bit set as a string of digits}; at most 100), `name` 1-100 characters (Discord
  lower-cases a text channel's name and turns spaces into dashes), `topic` up to 1024. 201.
  No nonce here either.
- GET /guilds/{guild}/channels: the guild's channels (categories and text channels; no threads).

Messages in a thread go through the emulator's channel-message route (a thread is a channel); a
locked archived thread refuses them (400, 50083).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

from ladderline.discord.limits import Problem

UNKNOWN_CHANNEL = {"message": "Unknown Channel", "code": 10003}
THREAD_ARCHIVED = {"message": "Thread is archived", "code": 50083}
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
PUBLIC_THREAD, PRIVATE_THREAD = 11, 12
GUILD_TEXT, GUILD_CATEGORY = 0, 4
MAX_OVERWRITES = 100

Answer = tuple[int, Any, dict]


class Rooms:
    """Guild text channels (registered by the stack or a test) and the threads made in them."""

    def __init__(self, lock: threading.RLock, snowflake: Callable[[], str], application_id: Callable[[], str],
                 notify: Callable[[dict], None], form_error: Callable[[list[Problem]], dict]) -> None:
        self._lock = lock
        self._form = form_error
        self._snowflake = snowflake
        self._application_id = application_id
        self._notify = notify
        self._channels: dict[str, dict[str, Any]] = {}
        self._threads: dict[str, dict[str, Any]] = {}
        self._members: dict[str, list[str]] = {}

    # --- set-up and inspection ------------------------------------------------------------------
    def add_guild_channel(self, guild_id: str, channel_id: str, name: str, kind: int = GUILD_TEXT) -> None:
        """A channel that exists in the guild before the bot runs (a text channel, or a category)."""
        with self._lock:
            self._channels[str(channel_id)] = {"id": str(channel_id), "type": kind, "guild_id": str(guild_id),
                                               "name": name, "parent_id": None, "topic": None,
                                               "permission_overwrites": []}

    def guild_channels(self, guild_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(c) for c in self._channels.values() if guild_id in (None, c["guild_id"])]

    def threads(self) -> list[dict[str, Any]]:
        """Every thread, oldest first, with `member_ids` (who was added)."""
        with self._lock:
            return [dict(copy.deepcopy(t), member_ids=list(self._members[t["id"]])) for t in self._threads.values()]

    def is_thread(self, channel_id: str) -> bool:
        with self._lock:
            return str(channel_id) in self._threads

    def refuses_messages(self, channel_id: str) -> bool:
        """A locked archived thread takes no message."""
        with self._lock:
            thread = self._threads.get(str(channel_id))
            return bool(thread and thread["thread_metadata"]["archived"] and thread["thread_metadata"]["locked"])

    # --- routes ---------------------------------------------------------------------------------
    def create_thread(self, parent_id: str, data: Any) -> Answer:
        with self._lock:
            parent = self._channels.get(parent_id)
            if parent is None:
                return 404, UNKNOWN_CHANNEL, {}
        if not isinstance(data, dict):
            return 400, self._form([Problem((), "the body must be a JSON object")]), {}
        problems = _thread_problems(data, creating=True)
        if problems:
            return 400, self._form(problems), {}
        kind = int(data.get("type") or PRIVATE_THREAD)
        thread = {
            "id": self._snowflake(), "type": kind, "guild_id": parent["guild_id"], "parent_id": parent_id,
            "owner_id": self._application_id(), "name": data["name"].strip(), "message_count": 0,
            "member_count": 1, "rate_limit_per_user": 0, "flags": 0,
            "thread_metadata": {"archived": False, "locked": False,
                                "auto_archive_duration": int(data.get("auto_archive_duration") or 4320),
                                "archive_timestamp": None,
                                **({"invitable": bool(data.get("invitable", True))} if kind == PRIVATE_THREAD else {})},
        }
        with self._lock:
            self._threads[thread["id"]] = thread
            self._members[thread["id"]] = []
            shown = copy.deepcopy(thread)
        self._notify({"kind": "thread", "event": "create", "thread": self._shown(thread["id"])})
        return 201, shown, {}

    def create_channel(self, guild_id: str, data: Any) -> Answer:
        if not isinstance(data, dict):
            return 400, self._form([Problem((), "the body must be a JSON object")]), {}
        with self._lock:
            problems = self._channel_problems(guild_id, data)
        if problems:
            return 400, self._form(problems), {}
        channel = {"id": self._snowflake(), "type": GUILD_TEXT, "guild_id": guild_id,
                   # Discord's own normalisation of a text channel's name.
                   "name": data["name"].strip().lower().replace(" ", "-"),
                   "parent_id": str(data["parent_id"]) if data.get("parent_id") else None,
                   "topic": data.get("topic"), "position": 0, "nsfw": False, "rate_limit_per_user": 0,
                   "permission_overwrites": [{"id": str(o["id"]), "type": int(o["type"]),
                                              "allow": str(o.get("allow") or "0"), "deny": str(o.get("deny") or "0")}
                                             for o in data.get("permission_overwrites") or []]}
        with self._lock:
            self._channels[channel["id"]] = channel
            shown = copy.deepcopy(channel)
        self._notify({"kind": "guild_channel", "event": "create", "channel": copy.deepcopy(shown)})
        return 201, shown, {}

    def list_channels(self, guild_id: str) -> Answer:
        return 200, self.guild_channels(guild_id), {}

    def _channel_problems(self, guild_id: str, data: dict[str, Any]) -> list[Problem]:
        problems: list[Problem] = []
        name = data.get("name")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
            problems.append(Problem(("name",), "Must be between 1 and 100 in length."))
        if data.get("type") not in (None, GUILD_TEXT):
            problems.append(Problem(("type",), "only text channels (0) here"))
        topic = data.get("topic")
        if topic is not None and (not isinstance(topic, str) or len(topic) > 1024):
            problems.append(Problem(("topic",), "Must be 1024 or fewer in length."))
        parent = data.get("parent_id")
        if parent is not None:
            found = self._channels.get(str(parent))
            if found is None or found["type"] != GUILD_CATEGORY or found["guild_id"] != guild_id:
                problems.append(Problem(("parent_id",), "Category does not exist."))
        overwrites = data.get("permission_overwrites") or []
        if not isinstance(overwrites, list) or len(overwrites) > MAX_OVERWRITES:
            problems.append(Problem(("permission_overwrites",), f"Must be a list of {MAX_OVERWRITES} or fewer."))
            return problems
        for i, overwrite in enumerate(overwrites):
            if not isinstance(overwrite, dict) or not str(overwrite.get("id", "")).isdigit():
                problems.append(Problem(("permission_overwrites", i, "id"), "Value is not snowflake."))
                continue
            if overwrite.get("type") not in (0, 1):
                problems.append(Problem(("permission_overwrites", i, "type"), "Value must be one of (0, 1)."))
            for field in ("allow", "deny"):
                value = overwrite.get(field)
                if value is not None and not str(value).isdigit():
                    problems.append(Problem(("permission_overwrites", i, field), "Must be a permission bit set."))
        return problems

    def add_member(self, thread_id: str, user_id: str) -> Answer:
        with self._lock:
            thread = self._threads.get(thread_id)
            if thread is None:
                return 404, UNKNOWN_CHANNEL, {}
            if thread["thread_metadata"]["archived"] and thread["thread_metadata"]["locked"]:
                return 400, THREAD_ARCHIVED, {}
            members = self._members[thread_id]
            added = user_id not in members
            if added:
                members.append(user_id)
                thread["member_count"] = len(members) + 1
        if added:
            self._notify({"kind": "thread", "event": "member", "thread": self._shown(thread_id)})
        return 204, None, {}

    def active(self, guild_id: str) -> Answer:
        with self._lock:
            found = [copy.deepcopy(t) for t in self._threads.values()
                     if t["guild_id"] == guild_id and not t["thread_metadata"]["archived"]]
        return 200, {"threads": found, "members": [], "has_more": False}, {}

    def modify(self, channel_id: str, data: Any) -> Answer:
        with self._lock:
            if channel_id not in self._threads:
                return 404, UNKNOWN_CHANNEL, {}
        if not isinstance(data, dict):
            return 400, self._form([Problem((), "the body must be a JSON object")]), {}
        problems = _thread_problems(data, creating=False)
        if problems:
            return 400, self._form(problems), {}
        with self._lock:
            thread = self._threads[channel_id]
            meta = thread["thread_metadata"]
            if "name" in data:
                thread["name"] = data["name"].strip()
            for field in ("archived", "locked", "invitable"):
                if field in data:
                    meta[field] = bool(data[field])
            if "auto_archive_duration" in data:
                meta["auto_archive_duration"] = int(data["auto_archive_duration"])
            if data.get("archived"):
                meta["archive_timestamp"] = "now"
            shown = copy.deepcopy(thread)
        self._notify({"kind": "thread", "event": "update", "thread": self._shown(channel_id)})
        return 200, shown, {}

    def _shown(self, thread_id: str) -> dict[str, Any]:
        with self._lock:
            return dict(copy.deepcopy(self._threads[thread_id]), member_ids=list(self._members[thread_id]))


def _thread_problems(data: dict[str, Any], *, creating: bool) -> list[Problem]:
    problems: list[Problem] = []
    name = data.get("name")
    if (creating or "name" in data) and (not isinstance(name, str) or not 1 <= len(name.strip()) <= 100):
        problems.append(Problem(("name",), "Must be between 1 and 100 in length."))
    kind = data.get("type")
    if creating and kind is not None and kind not in (PUBLIC_THREAD, PRIVATE_THREAD):
        problems.append(Problem(("type",), "a thread without a message is type 11 or 12 here"))
    duration = data.get("auto_archive_duration")
    if duration is not None and duration not in ARCHIVE_DURATIONS:
        problems.append(Problem(("auto_archive_duration",), f"Value must be one of {ARCHIVE_DURATIONS}."))
    for field in ("invitable", "archived", "locked"):
        if field in data and data[field] is not None and not isinstance(data[field], bool):
            problems.append(Problem((field,), "Must be a boolean."))
    return problems
