"""Replays settle results: the match card's **Upload replay** button (a modal with a File Upload)
and `/replay file:<.SC2Replay>` (for players who prefer typing). A bot that only receives HTTP
interactions can't read DM messages, so the file arrives as an interaction's attachment.

Both are acknowledged at once (deferred); the job fetches the file from Discord's CDN, parses it
in a bounded child process, runs every check, keeps a passing replay in S3 and lets
`ladder_replay_decide` (migration 0015) decide the match under its row's lock. A replay that fails
a check changes nothing and the uploader is told which checks failed.

custom_ids: `mup:<match>` the card's button, `mupm:<match>` its modal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType, OptionType
from ladderline.discord.interaction import Interaction
from ladderline.ladder import guards
from ladderline.ladder import match_messages as msg
from ladderline.ladder.context import JobContext, Metric, Reply, now
from ladderline.ladder.deliveries import DirectMessage
from ladderline.ladder.i18n import N_, text_for
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route
from ladderline.worker_settings import ReplaySettings, StaffSettings

FIELD = "replay"
EXTENSION = ".sc2replay"


def upload_modal(interaction: Interaction) -> dict[str, Any]:
    """The card's button: a modal with one File Upload (Discord checks nothing about the file:
    the worker does)."""
    args = interaction.custom_id_args
    number = args[0] if args and args[0].isdigit() else "0"
    tx = text_for(interaction.locale)  # the ingress has no database: the client's language
    return responses.modal(f"{msg.UPLOAD_MODAL_ROUTE}:{number}", tx("Replay for match #{number}", number=number), [
        responses.label(tx("Replay file"), responses.file_upload(FIELD),
                        description=tx("The .SC2Replay of this match (Documents\\StarCraft II\\Accounts\\…\\Replays)")),
    ])


def _attachment(options: dict[str, Any]) -> dict[str, Any] | None:
    value = options.get(FIELD) if FIELD in options else options.get("file")
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    return value if isinstance(value, dict) and isinstance(value.get("url"), str) else None


def _say(text: str, outcome: str) -> Reply:
    return Reply(responses.message(text[:2000]), outcome=outcome)


def _checks_text(checks: list[dict[str, Any]] | tuple[Any, ...]) -> str:
    from ladderline.replays.checks import Check

    return "\n".join(Check(c["name"], c["ok"], c["detail"]).line() if isinstance(c, dict) else c.line()
                     for c in checks)


def _match_id(ctx: JobContext) -> int | None:
    if ctx.job.custom_id:
        args = ctx.job.custom_id.split(":")[1:]
        return int(args[0]) if args and args[0].isdigit() else None
    chosen = ctx.job.options.get("match")
    if isinstance(chosen, int):
        return chosen
    found = ctx.db.call("ladder_replay_match_of", int(ctx.job.user_id))
    return int(found) if found is not None else None


REFUSED = {
    "unknown": N_("That match doesn't exist."),
    "not_player": N_("This isn't your match: only its two players can upload its replay."),
    "not_confirmed": N_("Match #{n} isn't confirmed by both players yet: play it first."),
    "closed": N_("Match #{n} is closed ({status}): it takes no replay."),
    "decided": N_("Match #{n} is already decided: nothing changed."),
}


def _refused(tx: Callable[..., str], status: str, match_id: int, match: dict[str, Any]) -> Reply:
    shown = match.get("status", "")
    return _say(tx(REFUSED[status], n=match_id, status=tx(msg.STATUSES.get(shown, shown))), f"replay_{status}")


def handle_upload(ctx: JobContext) -> Reply:
    from ladderline.replays import checks as replay_checks
    from ladderline.replays.bounded import ReplayRefused, parse_bounded
    from ladderline.replays.fetch import FetchFailed, FetchRefused, fetch_replay
    from ladderline.replays.store import ReplayStore, content_hash

    tx = ctx.tx  # resolved on first use: after the first call, which brings the language (ladder/context.py)
    attachment = _attachment(ctx.job.options)
    if attachment is None:
        return _say(tx("Attach one `.SC2Replay` file."), "no_file")
    if not str(attachment.get("filename") or "").lower().endswith(EXTENSION):
        name = str(attachment.get("filename"))[:80].replace("`", "'")
        return _say(tx("`{name}` is not a `.SC2Replay` file. Nothing changed.", name=name), "not_sc2replay")
    match_id = _match_id(ctx)
    if match_id is None:
        return _say(tx("You have no match being played: a replay needs its match."), "no_match")
    opened = guards.call(ctx, "ladder_replay_open", match_id, int(ctx.job.user_id))
    if opened["status"] != "ok":
        return _refused(tx, opened["status"], match_id, opened.get("match") or {})
    match = opened["match"]

    settings = ReplaySettings.from_env()
    size = attachment.get("size")
    try:
        data = fetch_replay(attachment["url"], size if isinstance(size, int) else None, local_base=settings.cdn_base)
    except (FetchRefused, FetchFailed) as error:
        return _say(tx("Your replay for match #{number} wasn't read: {error}. Nothing changed; upload it again.",
                       number=match_id, error=error),
                    "fetch_failed" if isinstance(error, FetchFailed) else "fetch_refused")
    try:
        parsed = parse_bounded(data)
    except ReplayRefused as error:
        return _say(tx("That file isn't a replay the ladder can read: {error}. Nothing changed.", error=error),
                    "unreadable")
    verdict = replay_checks.verify(parsed.summary, match,
                                   replay_checks.rules(settings.mod_handles, settings.allow_ai))
    if not verdict.passed:
        failed = ", ".join(c.name for c in verdict.failed)
        return _say(tx("❌ This replay doesn't fit match #{number} ({failed}). Nothing changed.", number=match_id,
                       failed=failed) + "\n" + _checks_text(verdict.checks), "replay_failed")

    digest = content_hash(data)
    key = ReplayStore(settings.bucket).put(data, digest, match_id=match_id, uploader=ctx.job.user_id)
    result = guards.call(ctx, "ladder_replay_decide", match_id, int(ctx.job.user_id), digest, key,
                         verdict.result, verdict.checks_json(), now(ctx))
    return _decided(ctx, match_id, result, verdict)


def _decided(ctx: JobContext, match_id: int, result: dict[str, Any], verdict: Any) -> Reply:
    tx = ctx.text()
    status = result["status"]
    checks = _checks_text(verdict.checks)
    if status == "used_elsewhere":
        return _say(tx("This replay was already uploaded for match #{other}: one game decides one match. Nothing "
                       "changed.", other=result["other_match"]), "replay_used_elsewhere")
    if status in REFUSED:
        return _refused(tx, status, match_id, result.get("match") or {})
    match = result["match"]
    staff = StaffSettings.from_env()
    uploader = (match.get("replay") or {}).get("uploaded_by")
    decided_lines = (lambda tx: tx("🎞️ Decided by the replay <@{uploader}> uploaded: {note}.", uploader=uploader,
                                   note=verdict.winner_note), lambda _: checks)
    if status == "same_replay":
        # A double upload, or this job run again: what the decision owes the players is derived
        # again (same keys, so only what a crash left unsent goes out).
        again = msg.result_deliveries(match, (staff.channel_id, staff.role_id), decided_lines) \
            if match["status"] == "final" and match.get("replay") else []
        return Reply(responses.message(tx("This replay is already recorded for match #{number}.", number=match_id)
                                       + " " + msg.result_line(match, tx)),
                     outcome="same_replay", deliveries=tuple(again))
    if match["status"] != "final":
        # Kept (staff can fetch it), but the winner can't be told: the players report as before.
        return _say(tx("🎞️ Replay checked for match #{number}, but it can't decide it: {note}. Report the result "
                       "with the buttons on the match card.", number=match_id, note=verdict.winner_note)
                    + "\n" + checks, "replay_indeterminate")
    overruled = [str(u) for u in result.get("overruled") or []]
    deliveries: list[Any] = msg.result_deliveries(match, (staff.channel_id, staff.role_id), decided_lines)
    deliveries.extend(_overruled(match, user) for user in overruled)
    return Reply(responses.message(tx("✅ Match #{number} is decided by your replay.", number=match_id) + "\n"
                                   + msg.result_line(match, tx)),
                 outcome="replay_decided", deliveries=tuple(deliveries),
                 metrics=(Metric("MatchTransitions", (1,), dimensions=(("transition", "final"),)),))


def _overruled(match: dict[str, Any], user: str) -> DirectMessage:
    number, tx = match["match_id"], msg.player_text(match, user)
    return DirectMessage(f"match:{number}:replay-overruled:{user}", user, responses.message(
        tx("ℹ️ Match #{number}: your report differed from the verified replay, which decides the match.",
           number=number)))


ROUTES = (
    Route(key=msg.UPLOAD_ROUTE, kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.MODAL, modal=upload_modal),
    Route(key=msg.UPLOAD_MODAL_ROUTE, kind=InteractionType.MODAL_SUBMIT, ack=Ack.DEFERRED_MESSAGE,
          ephemeral=True, ephemeral_in_dm=False, handler=handle_upload),
    Route(key="replay", kind=InteractionType.APPLICATION_COMMAND, ack=Ack.DEFERRED_MESSAGE, ephemeral=True,
          ephemeral_in_dm=False, handler=handle_upload, contexts=SERVER_AND_BOT_DM,
          description="Upload your match's replay: a verified replay decides the result",
          options=({"type": OptionType.ATTACHMENT, "name": "file", "description": "The .SC2Replay file",
                    "required": True},
                   {"type": OptionType.INTEGER, "name": "match", "description": "The match number "
                    "(default: your match being played)", "required": False, "min_value": 1})),
)
