"""Sends a job's deliveries in order, each exactly once (ladderline.ladder.deliveries).

- Creations (follow-ups, DMs, channel messages, and the DM sent instead of an expired edit) are
  recorded under their key with the message id Discord returned (DeliveryStore: the
  `deliveries` table); a re-run skips every recorded key. Bot-token creations carry a nonce
  derived from the key with enforce_nonce, so a crash between Discord's answer and the record
  still leaves one message: the re-run's POST returns the message the first one made. (Follow-ups
  go through the interaction webhook, which takes no nonce: for them that gap, milliseconds wide,
  is the one place a crash can repeat a message.)
- Edits are idempotent (the same PATCH twice gives the same message) and are not recorded.
- A DM opens the user's DM channel once; the channel id is kept (DeliveryStore.dm_channel), so
  every later DM is one request against Discord's global 50/s, not two.
- The first delivery that must be retried (rate limit, outage, breaker) stops the run: the job
  goes back to the queue and the re-run continues from there, in order.
- An interaction token that has expired, or would expire before a retry could use it, is not
  waited for: the edit or follow-up goes out as a DM to the user saying which command it answers.
- A private thread or channel (PrivateThread, PrivateChannel) has no nonce to make its creation
  safe to repeat: its intent is claimed first (`<key>:intent`, one row by its primary key); a run
  that finds an intent without the room looks for it (a thread by name among the guild's active
  threads, a channel by topic among the guild's channels) and creates it only if it is not
  there, and a job that finds another job's fresh intent (a double click) waits for it (retried
  later) instead of creating. So a redelivery, a double click, a worker killed between Discord's
  answer and the record, or a rate limit in between leaves one room. Adding members is
  idempotent (PUT); the first message carries a nonce.
- Hand-off (`handoff=True`: the jobs lane, whose clicks and commands must never queue behind a
  wave's DMs): a bot-token message that Discord's global or route limit would hold more than
  HANDOFF_PATIENCE_SECONDS is not waited for. It and the messages after it become the report's
  `handed_off`, which the worker publishes as one fan-out deliver job (its own retries, keyed by
  this job): the job ends at once, its state change and its own reply done, and the lane is free.
- A 4xx that is not about the token (Discord refused the body) must not leave "thinking...":
  the original response is edited to a plain fallback text, and the refusal is logged with
  Discord's code and counted (the DeliveriesRefused alarm).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import TOKEN_LIFETIME_SECONDS, InteractionType
from ladderline.discord.rest import DiscordRest, Outcome, RestResult
from ladderline.discord.snowflake import age_seconds, created_at_ms
from ladderline.job import Job
from ladderline.ladder import fanout
from ladderline.ladder.deliveries import (
    ChannelMessage,
    Delivery,
    DirectMessage,
    EditMessage,
    EditOriginal,
    EditResponse,
    FollowUp,
    PrivateChannel,
    PrivateThread,
    ThreadUpdate,
)
from ladderline.ladder.i18n import N_, Text, text_for
from ladderline.pipeline.ports import DeliveryStore, Recorded, WorkerObserver

logger = logging.getLogger("ladderline.outbox")

# Discord's JSON error code for a channel it does not know (a kept DM channel that is gone).
UNKNOWN_CHANNEL = 10003
# Discord: a message nonce is an integer or a string of at most 25 characters.
NONCE_LENGTH = 25
# A token with less than this left is not used: the request and its retries would outlive it.
TOKEN_MARGIN_SECONDS = 10
# A retriable failure on a token with less than this left is not retried later (the next attempt
# comes back after 3-45 s plus queueing): the DM goes out now instead.
RETRY_HORIZON_SECONDS = 90
# A room's intent held by another job this recently may still be in flight (a worker invocation
# lasts at most the function's timeout, 15 s): wait for it rather than make a second room. Older,
# its job died before recording what Discord answered: look for the room, else make it.
ROOM_LEASE_SECONDS = 120
# How long a jobs-lane job waits for a bot-token request's rate limit before handing it off.
HANDOFF_PATIENCE_SECONDS = 1.0
REFUSED_TEXT = N_(
    "Sorry, I couldn't show the answer to this: Discord refused the message. "
    "The problem has been recorded; please try again later."
)


def nonce_for(key: str) -> str:
    """A stable nonce per delivery key (<= 25 characters), so a re-sent creation is recognised."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:NONCE_LENGTH]


def kind_of(delivery: Delivery) -> str:
    return {EditOriginal: "edit_original", EditResponse: "edit_response", FollowUp: "followup", DirectMessage: "dm",
            ChannelMessage: "channel_message", EditMessage: "edit_message", PrivateThread: "thread",
            ThreadUpdate: "thread_update", PrivateChannel: "channel"}[type(delivery)]


@dataclass
class OutboxReport:
    edit: RestResult | None = None  # the edit of the original response, if there was one
    retry: str | None = None  # why the job must run again (None: everything went out or was settled)
    rate_limited: bool = False  # the retry is Discord's rate limit (waiting it out is not a failure)
    sent: list[str] = field(default_factory=list)  # keys sent in this run
    skipped: list[str] = field(default_factory=list)  # keys already recorded by an earlier run
    handed_off: list[Delivery] = field(default_factory=list)  # rate-limited: for a fan-out job to send


class _Retry(Exception):
    def __init__(self, why: str, rate_limited: bool = False) -> None:
        super().__init__(why)
        self.why = why
        self.rate_limited = rate_limited


class Outbox:
    def __init__(self, discord: DiscordRest, store: DeliveryStore, observer: WorkerObserver,
                 clock: Callable[[], float]) -> None:
        self._discord = discord
        self._store = store
        self._observer = observer
        self._clock = clock

    def send(self, job: Job, deliveries: Sequence[Delivery], *, deadline: float,
             handoff: bool = False) -> OutboxReport:
        run = _Run(self, job, deadline, handoff)
        for index, delivery in enumerate(deliveries):
            try:
                run.one(delivery)
            except _Retry as retry:
                rest = list(deliveries[index:])
                if handoff and retry.rate_limited and all(fanout.can_carry(d) for d in rest):
                    run.report.handed_off = rest
                else:
                    run.report.retry = retry.why
                    run.report.rate_limited = retry.rate_limited
                break
        return run.report


class _Run:
    """One job's pass over its deliveries."""

    def __init__(self, outbox: Outbox, job: Job, deadline: float, handoff: bool = False) -> None:
        self.o = outbox
        self.job = job
        self.deadline = deadline
        self.handoff = handoff
        self.report = OutboxReport()
        self._recorded: dict[str, Recorded] = {}
        self._looked_up: set[str] = set()

    # --- bookkeeping ------------------------------------------------------------------------------
    def recorded(self, *keys: str) -> dict[str, Recorded]:
        missing = [k for k in keys if k not in self._looked_up]
        if missing:
            self._recorded.update(self.o._store.lookup(missing))
            self._looked_up.update(missing)
        return {k: self._recorded[k] for k in keys if k in self._recorded}

    def record(self, key: str, kind: str, outcome: str, channel_id: str | None = None,
               message_id: str | None = None) -> None:
        self.o._store.record(key, kind=kind, job_key=self.job.idempotency_key(), outcome=outcome,
                             channel_id=channel_id, message_id=message_id)
        self._recorded[key] = Recorded(key, outcome, channel_id, message_id)
        self._looked_up.add(key)

    def bot_deadline(self) -> float:
        """How long a bot-token request may wait for its rate limit (see Hand-off)."""
        if not self.handoff:
            return self.deadline
        return min(self.deadline, self.o._clock() + HANDOFF_PATIENCE_SECONDS)

    def token_left(self) -> float:
        return TOKEN_LIFETIME_SECONDS - age_seconds(self.job.interaction_id, self.o._clock())

    def observe(self, kind: str, outcome: str, result: RestResult | None = None) -> None:
        self.o._observer.delivery_done(self.job, kind, outcome, result)
        if outcome == "refused" and result is not None:
            logger.error("discord refused the delivery", extra={
                "delivery": kind, "status": result.status, "discord_code": result.error_code,
                "discord_message": (result.error_message or "")[:200]})

    def settle(self, kind: str, result: RestResult) -> None:
        if result.retriable:
            self.observe(kind, "retry", result)
            raise _Retry(f"{kind} {result.outcome.value} after {result.attempts} attempts",
                         rate_limited=result.outcome == Outcome.RATE_LIMITED)

    # --- one delivery -----------------------------------------------------------------------------
    def one(self, delivery: Delivery) -> None:
        if isinstance(delivery, (EditOriginal, FollowUp)) and not self.job.is_interaction:
            # A timer or tick has no interaction token; the contract forbids these there.
            logger.error("a %s job cannot edit or follow up an interaction; delivery %s dropped",
                         self.job.kind, getattr(delivery, "key", "original"))
            self.observe(kind_of(delivery), "refused")
            return
        if isinstance(delivery, EditOriginal):
            self.edit_original(delivery)
        elif isinstance(delivery, FollowUp):
            self.followup(delivery)
        elif isinstance(delivery, EditResponse):
            self.edit_response(delivery)
        elif isinstance(delivery, DirectMessage):
            self.direct_message(delivery.key, delivery.user_id, delivery.body, "dm")
        elif isinstance(delivery, ChannelMessage):
            self.channel_message(delivery)
        elif isinstance(delivery, PrivateThread):
            self.private_thread(delivery)
        elif isinstance(delivery, PrivateChannel):
            self.private_channel(delivery)
        elif isinstance(delivery, ThreadUpdate):
            self.thread_update(delivery)
        else:
            self.edit_message(delivery)

    def edit_original(self, delivery: EditOriginal) -> None:
        job = self.job
        if self.token_left() < TOKEN_MARGIN_SECONDS:
            self.instead_dm(f"{job.interaction_id}:{delivery.key}", delivery.body)
            return
        result = self.o._discord.edit_original(job.application_id, job.token, job.interaction_id, delivery.body,
                                               deadline=self.deadline)
        self.o._observer.edit_done(job, result)
        if self.report.edit is None:
            self.report.edit = result
        if result.delivered:
            self.observe("edit_original", "sent", result)
            self.report.sent.append(f"{job.interaction_id}:{delivery.key}")
            return
        if result.outcome is Outcome.TOKEN_EXPIRED or (result.retriable and self.token_left() < RETRY_HORIZON_SECONDS):
            logger.warning("the interaction token is unusable; answering by DM instead",
                           extra={"status": result.status, "discord_code": result.error_code})
            self.instead_dm(f"{job.interaction_id}:{delivery.key}", delivery.body)
            return
        self.settle("edit_original", result)
        # A 4xx about the body: replace "thinking..." (or the old message) with a plain text.
        self.observe("edit_original", "refused", result)
        plain = self.o._discord.edit_original(job.application_id, job.token, job.interaction_id,
                                              responses.message(text_for(job.locale)(REFUSED_TEXT)),
                                              deadline=self.deadline)
        self.o._observer.edit_done(job, plain)
        if not plain.delivered:
            logger.error("the fallback text could not be shown either", extra={"status": plain.status,
                                                                                "discord_code": plain.error_code})

    def followup(self, delivery: FollowUp) -> None:
        if self.recorded(delivery.key):
            self.skip(delivery.key, "followup")
            return
        job = self.job
        if self.token_left() < TOKEN_MARGIN_SECONDS:
            self.instead_dm(delivery.key, delivery.body)
            return
        result = self.o._discord.create_followup(job.application_id, job.token, job.interaction_id, delivery.body,
                                                 deadline=self.deadline)
        if result.outcome is Outcome.TOKEN_EXPIRED or (result.retriable and self.token_left() < RETRY_HORIZON_SECONDS):
            self.instead_dm(delivery.key, delivery.body)
            return
        self.settle("followup", result)
        if not result.delivered:
            self.observe("followup", "refused", result)
            self.record(delivery.key, "followup", "refused")
            return
        data = result.data if isinstance(result.data, dict) else {}
        self.record(delivery.key, "followup", "sent", str(data.get("channel_id") or job.channel_id or ""),
                    str(data.get("id") or ""))
        self.observe("followup", "sent", result)
        self.report.sent.append(delivery.key)

    def instead_dm(self, key: str, body: dict[str, Any]) -> None:
        """The DM sent because the interaction token cannot carry this answer any more."""
        self.direct_message(f"{key}:dm", self.job.user_id, expired_token_dm(self.job, body), "fallback_dm")

    def direct_message(self, key: str, user_id: str, body: dict[str, Any], kind: str) -> None:
        if self.recorded(key):
            self.skip(key, kind)
            return
        kept = self.o._store.dm_channel(user_id)
        if kept is not None:
            result = self.create(key, kept, body, kind)
            if result is None or result.error_code != UNKNOWN_CHANNEL:
                return
            # The kept channel is gone on Discord's side: open the DM again (below).
            self.o._store.forget_dm_channel(user_id)
        opened = self.o._discord.open_dm(user_id, deadline=self.bot_deadline())
        self.settle(kind, opened)
        channel = opened.data.get("id") if opened.delivered and isinstance(opened.data, dict) else None
        if not channel:
            self.observe(kind, "refused", opened)
            self.record(key, kind, "refused")
            return
        self.o._store.remember_dm_channel(user_id, str(channel))
        self.create(key, str(channel), body, kind)

    def channel_message(self, delivery: ChannelMessage) -> None:
        if self.recorded(delivery.key):
            self.skip(delivery.key, "channel_message")
            return
        self.create(delivery.key, delivery.channel_id, delivery.body, "channel_message")

    def create(self, key: str, channel_id: str, body: dict[str, Any], kind: str) -> RestResult | None:
        """Create the message; answers the refusal if Discord refused it (None when it was sent)."""
        result = self.o._discord.create_message(channel_id, body, nonce=nonce_for(key), deadline=self.bot_deadline())
        self.settle(kind, result)
        if not result.delivered and result.error_code == UNKNOWN_CHANNEL and kind in ("dm", "fallback_dm"):
            return result  # a kept DM channel Discord no longer knows: the caller opens it again
        if not result.delivered:
            # E.g. 50007 "cannot send messages to this user": a re-run would only be refused again.
            self.observe(kind, "refused", result)
            self.record(key, kind, "refused", channel_id)
            return result
        message_id = str(result.data.get("id")) if isinstance(result.data, dict) else None
        self.record(key, kind, "sent", channel_id, message_id)
        self.observe(kind, "sent", result)
        self.report.sent.append(key)
        return None

    def edit_message(self, delivery: EditMessage) -> None:
        channel_id, message_id = delivery.channel_id, delivery.message_id
        if delivery.target_key is not None:
            target = self.recorded(delivery.target_key).get(delivery.target_key)
            if target is None or target.outcome != "sent" or not target.message_id:
                # Nothing was sent under that key: there is nothing to edit (not retried forever).
                logger.warning("edit of %s skipped: that message was never sent", delivery.target_key)
                self.observe("edit_message", "no_target")
                return
            channel_id, message_id = target.channel_id, target.message_id
        assert channel_id is not None and message_id is not None
        result = self.o._discord.edit_message(channel_id, message_id, delivery.body, deadline=self.bot_deadline())
        self.settle("edit_message", result)
        self.observe("edit_message", "sent" if result.delivered else "refused", result)
        if result.delivered:
            self.report.sent.append(delivery.key)

    # --- private rooms: threads and channels --------------------------------------------------------
    def _made_once(self, key: str, kind: str, parent: str | None, find: Callable[[], str | None],
                   create: Callable[[], RestResult]) -> str | None:
        """The id of the room (thread, channel) recorded under `key`, made at most once although
        Discord takes no nonce for it: the intent is recorded before the first create, and a run
        that finds an intent without a record calls `find` (the room made by a run that died
        before recording it) before it creates. None when Discord refused it."""
        made = self.recorded(key).get(key)
        if made is not None:
            if made.outcome != "sent" or not made.channel_id:
                self.skip(key, kind)  # refused once: a re-run would be refused again
                return None
            return made.channel_id
        claim = self.o._store.claim(f"{key}:intent", kind=f"{kind}_intent", job_key=self.job.idempotency_key(),
                                    channel_id=parent)
        room_id = None if claim.new else find()
        if room_id is None and not claim.new and not claim.same_job and claim.age_seconds < ROOM_LEASE_SECONDS:
            # Another job (a double click) is making it right now: never a second room.
            self.observe(kind, "retry")
            raise _Retry(f"{kind} being made by another job")
        if room_id is None:
            created = create()
            self.settle(kind, created)
            if not created.delivered or not isinstance(created.data, dict):
                self.observe(kind, "refused", created)
                self.record(key, kind, "refused", parent)
                return None
            room_id = str(created.data["id"])
            self.observe(kind, "sent", created)
        self.record(key, kind, "sent", room_id)
        self.report.sent.append(key)
        return room_id

    def private_thread(self, delivery: PrivateThread) -> None:
        thread_id = self._made_once(
            delivery.key, "thread", delivery.channel_id, lambda: self._find_thread(delivery),
            lambda: self.o._discord.create_thread(delivery.channel_id, {
                "name": delivery.name, "type": 12, "invitable": False, "auto_archive_duration": 10080,
            }, deadline=self.deadline))
        if thread_id is not None:
            self._fill_thread(delivery.key, thread_id, delivery.members, delivery.body)

    def _find_thread(self, delivery: PrivateThread) -> str | None:
        found = self.o._discord.active_threads(delivery.guild_id, deadline=self.deadline)
        self.settle("thread", found)
        threads = found.data.get("threads", []) if found.delivered and isinstance(found.data, dict) else []
        return next((str(t["id"]) for t in threads
                     if t.get("name") == delivery.name and str(t.get("parent_id")) == delivery.channel_id), None)

    def private_channel(self, delivery: PrivateChannel) -> None:
        body: dict[str, Any] = {"name": delivery.name, "type": 0, "topic": delivery.topic,
                                "permission_overwrites": list(delivery.overwrites)}
        if delivery.category_id:
            body["parent_id"] = delivery.category_id
        channel_id = self._made_once(
            delivery.key, "channel", delivery.category_id, lambda: self._find_channel(delivery),
            lambda: self.o._discord.create_guild_channel(delivery.guild_id, body, deadline=self.deadline))
        if channel_id is None:
            if delivery.answer is not None and self.job.is_interaction:
                self.edit_original(EditOriginal(responses.message(
                    "❌ Discord refused to create the channel. Please tell the server's staff.")))
            return
        message_key = f"{delivery.key}:message"
        if not self.recorded(message_key):
            self.create(message_key, channel_id, delivery.body, "channel_message")
        if delivery.answer is not None and self.job.is_interaction:
            answer = dict(delivery.answer)
            answer["content"] = str(answer.get("content", "")).replace("{channel}", f"<#{channel_id}>")
            self.edit_original(EditOriginal(answer))

    def _find_channel(self, delivery: PrivateChannel) -> str | None:
        found = self.o._discord.guild_channels(delivery.guild_id, deadline=self.deadline)
        self.settle("channel", found)
        channels = found.data if found.delivered and isinstance(found.data, list) else []
        return next((str(c["id"]) for c in channels if isinstance(c, dict) and c.get("topic") == delivery.topic), None)

    def _fill_thread(self, key: str, thread_id: str, members: Sequence[str], body: dict[str, Any] | None) -> None:
        """Members (PUT: the same twice is one membership), then the message once (its key's nonce)."""
        for user in members:
            added = self.o._discord.add_thread_member(thread_id, user, deadline=self.deadline)
            self.settle("thread_member", added)
            self.observe("thread_member", "sent" if added.delivered else "refused", added)
        message_key = f"{key}:message"
        if body is not None and not self.recorded(message_key):
            self.create(message_key, thread_id, body, "thread_message")

    def thread_update(self, delivery: ThreadUpdate) -> None:
        target = self.recorded(delivery.target_key).get(delivery.target_key)
        if target is None or target.outcome != "sent" or not target.channel_id:
            self.observe("thread_update", "no_target")
            return
        self._fill_thread(delivery.key, target.channel_id, delivery.members, delivery.body)
        if delivery.archive:
            closed = self.o._discord.modify_channel(target.channel_id, {"archived": True, "locked": True},
                                                    deadline=self.deadline)
            self.settle("thread_update", closed)
            self.observe("thread_update", "sent" if closed.delivered else "refused", closed)

    def edit_response(self, delivery: EditResponse) -> None:
        """An earlier interaction's response, while its token lives; never retried past it and
        never answered by DM instead (the caller sends the DM that always arrives)."""
        left = TOKEN_LIFETIME_SECONDS - age_seconds(delivery.interaction_id, self.o._clock())
        if left < TOKEN_MARGIN_SECONDS:
            self.skip(delivery.key, "edit_response")
            return
        result = self.o._discord.edit_original(delivery.application_id, delivery.token, delivery.interaction_id,
                                               delivery.body, deadline=self.deadline)
        if result.outcome is Outcome.TOKEN_EXPIRED or (result.retriable and left < RETRY_HORIZON_SECONDS):
            self.skip(delivery.key, "edit_response")
            return
        self.settle("edit_response", result)
        self.observe("edit_response", "sent" if result.delivered else "refused", result)
        if result.delivered:
            self.report.sent.append(delivery.key)

    def skip(self, key: str, kind: str) -> None:
        self.observe(kind, "skipped")
        self.report.skipped.append(key)


def answered_what(job: Job, tx: Text) -> str:
    if job.interaction_type == InteractionType.APPLICATION_COMMAND:
        return f"`/{job.route}{' ' + job.subcommand if job.subcommand else ''}`"
    return tx("button or form")


def expired_token_dm(job: Job, body: dict[str, Any]) -> dict[str, Any]:
    """The answer as a DM: says which command it answers; the original's buttons are left out
    (they belonged to the interaction's message)."""
    tx = text_for(job.locale)
    when = created_at_ms(job.interaction_id) // 1000 if job.interaction_id.isdigit() else None
    header = (tx("This answers your {what}", what=answered_what(job, tx))
              + (" " + tx("from <t:{at}:f>", at=when) if when else "")
              + tx(": it took longer than Discord lets me update the reply there."))
    content = body.get("content") or ""
    text = header + ("\n\n" + content if content else "")
    return responses.message(text[:2000], embeds=list(body.get("embeds") or [])[:10])
