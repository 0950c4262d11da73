"""/setup country:<autocomplete> region:<choice>: create or update a ladder profile.

Flow: the command is answered in-line with a modal (nothing queued); the modal's custom_id
carries country and region. The submit is queued: validated, stored as a draft (nonce = the
submit's interaction id) and answered with a summary carrying Confirm / Restart / Cancel, whose
custom_ids carry the nonce. Confirm writes the profile in one SQL call keyed by its interaction id;
a second click, a replayed job or a stale draft writes nothing twice (see ladder_setup_confirm).
"""

from __future__ import annotations

import re
from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import ButtonStyle, InteractionType
from ladderline.discord.interaction import Interaction
from ladderline.ladder import guards, static_data
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.countries import autocomplete_country, resolve_country, safe_echo, unknown_country_text
from ladderline.ladder.options import COUNTRY_OPTION, REGION_OPTION
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route

NAME_FIELD, ALT_FIELD, TAG_FIELD = "player_name", "alt_names", "battletag"
MAX_ALT_NAMES = 3
# The original ladder's rules (its validation service): the main in-game name is 3-12 English
# letters; an alternative name 3-12 characters in any script (Korean, Chinese, Cyrillic...);
# a BattleTag one '#' between a 1-12 character name and 3-12 digits (Blizzard's own tags run
# from `Jo#1234` to `Abc#123456`). Whitespace, commas (the separator), '#', '@' and backticks
# (the profile shows names in code spans) are never part of a name.
_NAME_RE = re.compile(r"[A-Za-z]{3,12}")
_ALT_RE = re.compile(r"[^\s,#@`]{3,12}")
_TAG_RE = re.compile(r"([^\s,#@`]{1,12})#([0-9]{3,12})")
NAME_RULE = "3–12 English letters (A–Z), your main in-game name"
ALT_RULE = "3–12 characters (any script), without spaces, `#` or `@`"
TAG_RULE = "like `Name#1234`: 1–12 characters, `#`, then 3–12 digits"

LABELS = {NAME_FIELD: "Player name", ALT_FIELD: "Alternative names", TAG_FIELD: "BattleTag"}
# Modal text inputs: the client enforces these lengths before submitting.
INPUT_MAX = {NAME_FIELD: 12, ALT_FIELD: 60, TAG_FIELD: 25}


# --- validation (pure) ----------------------------------------------------------------------------
def validate(fields: dict[str, Any], country: str, region: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The draft for valid modal values, or the problems, each naming its field."""
    problems: list[str] = []
    name = str(fields.get(NAME_FIELD) or "").strip()
    if not _NAME_RE.fullmatch(name):
        problems.append(f"**{LABELS[NAME_FIELD]}** `{safe_echo(name)}` must be {NAME_RULE}.")
    alt_names: list[str] = []
    # Repeats (and the main name again) are dropped rather than refused.
    seen = {name.casefold()}
    given: list[str] = []
    for alt in (part.strip() for part in str(fields.get(ALT_FIELD) or "").split(",")):
        if alt and alt.casefold() not in seen:
            seen.add(alt.casefold())
            given.append(alt)
    for alt in given:
        if _ALT_RE.fullmatch(alt):
            alt_names.append(alt)
        else:
            problems.append(f"**{LABELS[ALT_FIELD]}**: `{safe_echo(alt)}` must be {ALT_RULE}.")
    if len(given) > MAX_ALT_NAMES:
        problems.append(f"**{LABELS[ALT_FIELD]}**: at most {MAX_ALT_NAMES}, separated by commas "
                        f"(got {len(given)}).")
    tag = str(fields.get(TAG_FIELD) or "").strip()
    if not _TAG_RE.fullmatch(tag):
        problems.append(f"**{LABELS[TAG_FIELD]}** `{safe_echo(tag)}` must be {TAG_RULE}.")
    known_country = resolve_country(country)
    if known_country is None:
        problems.append(f"**Country**: {unknown_country_text(country)}")
    known_region = static_data.region(region or "")
    if known_region is None:
        problems.append(f"**Region** `{safe_echo(region)}` is not a ladder region; pick one from the list.")
    if problems or known_country is None or known_region is None:
        return None, problems
    return {NAME_FIELD: name, ALT_FIELD: alt_names, TAG_FIELD: tag,
            "country": known_country.code, "region": known_region.code}, []


# --- rendering ---------------------------------------------------------------------------------------
def _code(value: str) -> str:
    # Validated values hold no backtick: in a code span a name shows exactly as typed (`Dave_2`).
    return f"`{value}`"


def profile_fields(profile: dict[str, Any]) -> list[tuple[str, str, bool]]:
    country = static_data.country(profile.get("country") or "")
    region = static_data.region(profile.get("region") or "")
    alts = profile.get(ALT_FIELD) or []
    return [
        (LABELS[NAME_FIELD], _code(profile[NAME_FIELD]) if profile.get(NAME_FIELD) else "—", True),
        (LABELS[ALT_FIELD], ", ".join(_code(a) for a in alts) if alts else "—", True),
        (LABELS[TAG_FIELD], _code(profile[TAG_FIELD]) if profile.get(TAG_FIELD) else "—", True),
        ("Country", f"{country.flag} {country.name}" if country else "—", True),
        ("Region", f"{region.name} ({region.code})" if region else "—", True),
    ]


def typed_fields(fields: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """The modal's raw values as embed fields (cut to the input's length: the client enforces it)."""
    out = []
    for key in (NAME_FIELD, ALT_FIELD, TAG_FIELD):
        text = str(fields.get(key) or "").strip()[: INPUT_MAX[key]].replace("`", "'")
        out.append((LABELS[key], _code(text) if text else "—", True))
    return out


def summary(draft: dict[str, Any], nonce: str) -> dict[str, Any]:
    embed = responses.embed(
        "Check your ladder profile",
        "Press **Confirm** to save it, **Restart** to change something, or **Cancel**.",
        color=0x5865F2, fields=profile_fields(draft), footer="Nothing is saved until you press Confirm.")
    row = responses.action_row(
        responses.button("Confirm", f"setup_confirm:{nonce}", style=ButtonStyle.SUCCESS),
        responses.button("Restart", f"setup_restart:{draft['country']}:{draft['region']}"),
        responses.button("Cancel", f"setup_cancel:{nonce}", style=ButtonStyle.DANGER),
    )
    return responses.message(embeds=[embed], components=[row])


def next_step(profile: dict[str, Any]) -> str:
    if not profile.get("terms_accepted"):
        if guards.needs_activation(profile):
            return ("Next: read and accept the rules with `/termsofservice`, "
                    "then activate your account with `/activate`.")
        return "Next: read and accept the rules with `/termsofservice`, then `/queue` for a match."
    if guards.needs_activation(profile):
        return "Next: activate your account with `/activate`."
    return "You're all set: `/queue` for a match. See you on the ladder!"


def _args(job_custom_id: str | None) -> list[str]:
    return (job_custom_id or "").split(":")[1:]


# --- in-line answers (ingress) -------------------------------------------------------------------
def modal_for(country: str, region: str, prefill: dict[str, str] | None = None) -> dict[str, Any]:
    prefill = prefill or {}

    def value(field: str) -> str | None:
        text = prefill.get(field)
        # Discord refuses a modal whose prefilled value is longer than the input allows.
        return text if text and len(text) <= INPUT_MAX[field] else None

    # Each input sits in a Label (the form Discord documents; action rows in modals are deprecated): the
    # label names the field as the summary and the error messages do, the description carries its rule.
    return responses.modal(f"setup_modal:{country}:{region}", "Set up your ladder profile", [
        responses.label(LABELS[NAME_FIELD], responses.text_input(
            NAME_FIELD, min_length=3, max_length=INPUT_MAX[NAME_FIELD], placeholder="Your main in-game name",
            value=value(NAME_FIELD)), description=NAME_RULE.capitalize()),
        responses.label(LABELS[ALT_FIELD], responses.text_input(
            ALT_FIELD, required=False, max_length=INPUT_MAX[ALT_FIELD], placeholder="Smurf1, Smurf2",
            value=value(ALT_FIELD)), description=f"Optional: up to {MAX_ALT_NAMES}, separated by commas"),
        responses.label(LABELS[TAG_FIELD], responses.text_input(
            TAG_FIELD, min_length=5, max_length=INPUT_MAX[TAG_FIELD], placeholder="Name#1234",
            value=value(TAG_FIELD)), description="Like Name#1234"),
    ])


def _ephemeral(content: str) -> dict[str, Any]:
    return responses.channel_message({"content": content, "allowed_mentions": {"parse": []}}, ephemeral=True)


def open_modal(interaction: Interaction) -> dict[str, Any]:
    """/setup: the modal at once; an unknown country or region is refused before any typing."""
    raw_country, raw_region = interaction.options.get("country"), interaction.options.get("region")
    country = resolve_country(raw_country)
    if country is None:
        return _ephemeral(unknown_country_text(raw_country))
    region = static_data.region(raw_region if isinstance(raw_region, str) else "")
    if region is None:
        return _ephemeral(f"`{safe_echo(raw_region)}` is not a ladder region; pick one from the list.")
    return modal_for(country.code, region.code)


def _prefill_from(message: dict[str, Any] | None) -> dict[str, str]:
    """The summary's values (from the clicked message), so Restart does not make the user retype."""
    embeds = (message or {}).get("embeds") or []
    fields = {f.get("name"): f.get("value", "") for f in (embeds[0].get("fields") or [])} if embeds else {}
    out = {}
    for key, label in LABELS.items():
        text = fields.get(label)
        if isinstance(text, str) and text != "—":
            out[key] = text.replace("`", "")
    return out


def restart_modal(interaction: Interaction) -> dict[str, Any]:
    args = interaction.custom_id_args
    country, region = (args + ("", ""))[:2]
    return modal_for(country, region, _prefill_from(interaction.message))


# --- queued handlers (worker) --------------------------------------------------------------------
def handle_submit(ctx: JobContext) -> Reply:
    args = _args(ctx.job.custom_id) + ["", ""]
    draft, problems = validate(ctx.job.options, args[0], args[1])
    if draft is None:
        # Bounded: a custom_id is at most 100 characters (the args come from a client-sent custom_id).
        retry_id = f"setup_restart:{args[0][:8]}:{args[1][:8]}"
        retry = responses.action_row(responses.button("Try again", retry_id))
        text = "Your profile was not saved. Please fix:\n" + "\n".join(f"• {p}" for p in problems)
        # What the user typed, as the summary's fields: "Try again" reopens the modal prefilled from
        # them (restart_modal reads the clicked message), so nobody retypes the fields that were fine.
        typed = responses.embed("What you typed", None, fields=typed_fields(ctx.job.options))
        return Reply(responses.message(text[:2000], embeds=[typed], components=[retry]), outcome="invalid")
    nonce = ctx.job.interaction_id
    guards.call(ctx, "ladder_setup_draft", int(ctx.job.user_id), draft, nonce)
    return Reply(summary(draft, nonce), outcome="draft")


def handle_confirm(ctx: JobContext) -> Reply:
    nonce = (_args(ctx.job.custom_id) + [""])[0]
    if not nonce.isdigit():
        return Reply(responses.message(STALE_TEXT), outcome="stale")
    result = guards.call(ctx, "ladder_setup_confirm", int(ctx.job.user_id), nonce, ctx.job.interaction_id)
    status = result["status"]
    if status == "stale":
        return Reply(responses.message(STALE_TEXT), outcome="stale")
    profile = result["profile"]
    if status == "already_confirmed":
        title, text = "✅ Profile saved", "This setup was already confirmed; your profile is saved as shown."
    else:
        title = "✅ Profile created" if result.get("created") else "✅ Profile updated"
        text = next_step(profile)
    embed = responses.embed(title, text, color=0x57F287, fields=profile_fields(profile))
    return Reply(responses.message(embeds=[embed]), outcome=status)


def handle_cancel(ctx: JobContext) -> Reply:
    nonce = (_args(ctx.job.custom_id) + [""])[0]
    result = guards.call(ctx, "ladder_setup_cancel", int(ctx.job.user_id), nonce)
    if result["status"] == "already_confirmed":
        text = "This setup was already confirmed, so there is nothing to cancel. Run `/setup` to change it."
        return Reply(responses.message(text), outcome="already_confirmed")
    return Reply(responses.message("Setup cancelled. Nothing was saved."), outcome="cancelled")


STALE_TEXT = "This setup is out of date (it was replaced or cancelled). Run `/setup` again."

ROUTES = (
    Route(key="setup", kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM, ack=Ack.MODAL, modal=open_modal,
          autocomplete=autocomplete_country, description="Create or update your ladder profile",
          options=({**COUNTRY_OPTION, "description": "Your country (start typing its name)"}, REGION_OPTION)),
    # From /setup: a new ephemeral message (5); from Restart (a component): edit that message (6).
    Route(key="setup_modal", kind=InteractionType.MODAL_SUBMIT, ack=Ack.DEFERRED_UPDATE,
          handler=handle_submit),
    Route(key="setup_confirm", kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED,
          handler=handle_confirm),
    Route(key="setup_restart", kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.MODAL, modal=restart_modal),
    Route(key="setup_cancel", kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED,
          handler=handle_cancel),
)
