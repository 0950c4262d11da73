"""What a job sends to Discord and schedules: the domain's side of the worker's outbox.

A handler returns a Reply whose `deliveries` are sent in order after its database work commits,
each exactly once: creations (follow-ups, DMs, channel messages) are recorded with the message id
Discord returned, under their `key`, and carry a nonce derived from that key with
`enforce_nonce`, so a crash between sending and recording still leaves one message. Edits are
idempotent by nature (the same PATCH twice gives the same message).

Keys are global and stable across re-runs of the same job: build them from ids the database made
or the job carries (a match id, an interaction id, a timer key), never from the clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# SQS DelaySeconds is at most 15 minutes; a timer cannot be scheduled further ahead in one hop.
MAX_TIMER_DELAY_SECONDS = 900


@dataclass(frozen=True)
class EditOriginal:
    """Edit the job's own interaction response (interaction token; 15 minutes)."""

    body: dict[str, Any]
    # Which command this answers, for the DM sent instead once the interaction token has expired.
    key: str = "original"


@dataclass(frozen=True)
class EditResponse:
    """Edit an EARLIER interaction's response with that interaction's token, while it lives (15
    minutes from the interaction's creation; ephemeral messages can only be edited this way).
    Skipped, not retried, once the token is too old or Discord says it expired: use it only for
    a courtesy update next to a message that always arrives (a DM)."""

    key: str
    interaction_id: str
    application_id: str
    token: str = field(repr=False)  # never printed: a job's token is a secret
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FollowUp:
    """A new message after the original response (interaction token)."""

    key: str
    body: dict[str, Any]


@dataclass(frozen=True)
class DirectMessage:
    """A message in the bot's DM channel with a user (bot token: open the DM, then create)."""

    key: str
    user_id: str
    body: dict[str, Any]


@dataclass(frozen=True)
class ChannelMessage:
    """A message in a channel (bot token), e.g. the staff channel."""

    key: str
    channel_id: str
    body: dict[str, Any]


@dataclass(frozen=True)
class EditMessage:
    """Edit a message the bot sent before (bot token).

    Either name it by channel and message id, or by the key of the delivery that created it
    (`target_key`); the worker looks that key's recorded message up. A target that was never
    sent is skipped (there is nothing to edit), not retried forever.
    """

    key: str
    body: dict[str, Any]
    channel_id: str | None = None
    message_id: str | None = None
    target_key: str | None = None

    def __post_init__(self) -> None:
        if self.target_key is None and (self.channel_id is None or self.message_id is None):
            raise ValueError("EditMessage needs target_key, or channel_id and message_id")


@dataclass(frozen=True)
class PrivateThread:
    """A private thread in the guild text channel `channel_id`, for `members` (and whoever may
    manage threads there), with a first message. Discord's thread creation takes no nonce, so the
    worker records its intent first and a re-run looks for the thread by `name` among the guild's
    active threads before it creates one (pipeline/outbox.py): build `name` from a database id, so
    that it names one room. Once made, the thread is recorded under `key` (its id as channel_id)."""

    key: str
    guild_id: str
    channel_id: str
    name: str
    members: tuple[str, ...]
    body: dict[str, Any]


@dataclass(frozen=True)
class ThreadUpdate:
    """Post `body` in (if given), add `members` to, then maybe archive and lock the thread made
    under `target_key`. Skipped when no thread was made (the setting was off, Discord refused)."""

    key: str
    target_key: str
    members: tuple[str, ...] = ()
    body: dict[str, Any] | None = None
    archive: bool = False


@dataclass(frozen=True)
class PrivateChannel:
    """A text channel in the category `category_id` that only `overwrites` open (Discord's
    permission overwrites: {id, type 0 role / 1 member, allow, deny}), with a first message.
    Channel creation takes no nonce either: the intent is recorded first and a re-run looks for a
    channel whose topic is `topic` (make it name the room uniquely) before it creates one. With
    `answer`, the job's original response is then edited to it, `{channel}` replaced by a link to
    the channel (the click that asked for the room is answered with where it is)."""

    key: str
    guild_id: str
    category_id: str | None
    name: str
    topic: str
    overwrites: tuple[dict[str, Any], ...]
    body: dict[str, Any]
    answer: dict[str, Any] | None = None


Delivery = (EditOriginal | EditResponse | FollowUp | DirectMessage | ChannelMessage | EditMessage | PrivateThread
            | ThreadUpdate | PrivateChannel)


@dataclass(frozen=True)
class Timer:
    """A job to run later: the timer route `route` gets `payload` after `delay_seconds`.

    `key` is the timer's idempotency key (unique, stable across re-runs of the scheduling job).
    """

    route: str
    key: str
    delay_seconds: int
    payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.delay_seconds <= MAX_TIMER_DELAY_SECONDS:
            raise ValueError(f"timer {self.key}: delay must be 0..{MAX_TIMER_DELAY_SECONDS} s")
