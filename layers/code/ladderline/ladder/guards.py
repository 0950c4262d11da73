"""Preconditions of ladder commands (has a profile, accepted the terms, is activated).

The check rides inside the command's single database round trip: the command's SQL function
calls `ladder_guard(user, need_terms, need_active)` (infra/migrations/0002_setup_functions.sql)
and answers {"guard": "<name>"} without writing anything when a precondition fails. Here the
handler turns that answer into a message that points at the missing step.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from ladderline.discord import responses
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.i18n import N_, Text


class Guard(str, Enum):
    NO_PROFILE = "no_profile"
    TERMS_NOT_ACCEPTED = "terms_not_accepted"
    NOT_ACTIVATED = "not_activated"


GUARD_TEXT: dict[Guard, str] = {
    Guard.NO_PROFILE: N_("You don't have a ladder profile yet. Create one with `/setup` first."),
    Guard.TERMS_NOT_ACCEPTED: N_(
        "You haven't accepted the terms of service yet. Run `/termsofservice` and press **Accept** first."
    ),
    Guard.NOT_ACTIVATED: N_("Your account isn't activated yet. Run `/activate` with your activation code first."),
}


def needs_activation(profile: dict[str, Any]) -> bool:
    """Whether this player must still /activate: the deployment may not ask for it at all
    (ActivationRequired, migration 0013); a profile read without the flag comes from before it,
    when activation was always required."""
    return not profile.get("activated") and bool(profile.get("activation_required", True))


def call(ctx: JobContext, function: str, *args: Any) -> dict[str, Any]:
    """Run `SELECT function(args...)` as the job's one transaction; its jsonb answer as a dict."""
    result = ctx.db.call(function, *args)
    if not isinstance(result, dict):
        raise TypeError(f"{function} returned no jsonb object")
    return result


def failed_guard(result: dict[str, Any]) -> Guard | None:
    value = result.get("guard")
    return Guard(value) if value else None


def render(guard: Guard, tx: Text) -> dict[str, Any]:
    """The message body for a failed precondition (any buttons of the message are removed)."""
    return responses.message(tx(GUARD_TEXT[guard]))


def guard_reply(result: dict[str, Any], tx: Text) -> Reply | None:
    """A reply when the SQL function refused on a guard, else None (go on rendering the result)."""
    guard = failed_guard(result)
    return Reply(render(guard, tx), outcome=f"guard_{guard.value}") if guard else None
