"""/setup country:<autocomplete> region:<choice> [language:<choice>]: create or update a ladder profile.

Flow: the command is answered in-line with a modal (nothing queued); the modal's custom_id
carries country, region and the language choice (none: keep the player's; `auto`: follow the
Discord client again), and the modal speaks the chosen language, else the client's (the ingress
has no database to ask). The submit is queued: validated, stored as a draft (nonce = the
submit's interaction id) and answered with a summary carrying Confirm / Restart / Cancel, whose
custom_ids carry the nonce. Confirm writes the profile in one SQL call keyed by its interaction id;
a second click, a replayed job or a stale draft writes nothing twice (see ladder_setup_confirm).
"""

from __future__ import annotations

import re
from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import ButtonStyle, InteractionType, OptionType
from ladderline.discord.interaction import Interaction
from ladderline.ladder import guards, static_data
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.countries import autocomplete_country, resolve_country, safe_echo, unknown_country_text
from ladderline.ladder.i18n import EN, LANGUAGES, N_, Text, text_for
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
NAME_RULE = N_("3–12 English letters (A–Z), your main in-game name")
ALT_RULE = N_("3–12 characters (any script), without spaces, `#` or `@`")
TAG_RULE = N_("like `Name#1234`: 1–12 characters, `#`, then 3–12 digits")

LABELS = {NAME_FIELD: N_("Player name"), ALT_FIELD: N_("Alternative names"), TAG_FIELD: N_("BattleTag")}
AUTO = "auto"  # the language choice "follow my Discord client"
# Modal text inputs: the client enforces these lengths before submitting.
INPUT_MAX = {NAME_FIELD: 12, ALT_FIELD: 60, TAG_FIELD: 25}


# --- validation (pure) ----------------------------------------------------------------------------
def validate(fields: dict[str, Any], country: str, region: str, tx: Text,
             language: str = "") -> tuple[dict[str, Any] | None, list[str]]:
    """The draft for valid modal values, or the problems, each naming its field. `language`: the
    /setup choice (a code, `auto`, or empty for no choice), carried into the draft when given."""
    problems: list[str] = []
    name = str(fields.get(NAME_FIELD) or "").strip()
    if not _NAME_RE.fullmatch(name):
        problems.append(tx("**{field}** `{value}` must be {rule}.", field=tx(LABELS[NAME_FIELD]),
                           value=safe_echo(name), rule=tx(NAME_RULE)))
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
            problems.append(tx("**{field}**: `{value}` must be {rule}.", field=tx(LABELS[ALT_FIELD]),
                               value=safe_echo(alt), rule=tx(ALT_RULE)))
    if len(given) > MAX_ALT_NAMES:
        problems.append(tx("**{field}**: at most {most}, separated by commas (got {got}).",
                           field=tx(LABELS[ALT_FIELD]), most=MAX_ALT_NAMES, got=len(given)))
    tag = str(fields.get(TAG_FIELD) or "").strip()
    if not _TAG_RE.fullmatch(tag):
        problems.append(tx("**{field}** `{value}` must be {rule}.", field=tx(LABELS[TAG_FIELD]),
                           value=safe_echo(tag), rule=tx(TAG_RULE)))
    known_country = resolve_country(country)
    if known_country is None:
        problems.append(tx("**Country**: {problem}", problem=unknown_country_text(country, tx)))
    known_region = static_data.region(region or "")
    if known_region is None:
        problems.append(tx("**Region** `{value}` is not a ladder region; pick one from the list.",
                           value=safe_echo(region)))
    if problems or known_country is None or known_region is None:
        return None, problems
    draft = {NAME_FIELD: name, ALT_FIELD: alt_names, TAG_FIELD: tag,
             "country": known_country.code, "region": known_region.code}
    if language == AUTO or language in LANGUAGES:
        draft["language"] = language
    return draft, []


# --- rendering ---------------------------------------------------------------------------------------
def _code(value: str) -> str:
    # Validated values hold no backtick: in a code span a name shows exactly as typed (`Dave_2`).
    return f"`{value}`"


def language_name(code: str | None, tx: Text) -> str:
    """A language choice as shown: the language's own name, or "as Discord" when there is none."""
    return LANGUAGES[code] if code in LANGUAGES else tx("My Discord language")


def profile_fields(profile: dict[str, Any], tx: Text) -> list[tuple[str, str, bool]]:
    country = static_data.country(profile.get("country") or "")
    region = static_data.region(profile.get("region") or "")
    alts = profile.get(ALT_FIELD) or []
    fields = [
        (tx(LABELS[NAME_FIELD]), _code(profile[NAME_FIELD]) if profile.get(NAME_FIELD) else "—", True),
        (tx(LABELS[ALT_FIELD]), ", ".join(_code(a) for a in alts) if alts else "—", True),
        (tx(LABELS[TAG_FIELD]), _code(profile[TAG_FIELD]) if profile.get(TAG_FIELD) else "—", True),
        (tx("Country"), f"{country.flag} {country.name}" if country else "—", True),
        (tx("Region"), f"{region.name} ({region.code})" if region else "—", True),
    ]
    if "language" in profile:
        fields.append((tx("Language"), language_name(profile.get("language"), tx), True))
    return fields


def typed_fields(fields: dict[str, Any], tx: Text) -> list[tuple[str, str, bool]]:
    """The modal's raw values as embed fields (cut to the input's length: the client enforces it)."""
    out = []
    for key in (NAME_FIELD, ALT_FIELD, TAG_FIELD):
        text = str(fields.get(key) or "").strip()[: INPUT_MAX[key]].replace("`", "'")
        out.append((tx(LABELS[key]), _code(text) if text else "—", True))
    return out


def _restart_id(country: str, region: str, language: str) -> str:
    # Bounded: a custom_id is at most 100 characters (the parts may come from a client-sent custom_id).
    return ":".join(("setup_restart", country[:8], region[:8], *((language[:8],) if language else ())))


def summary(draft: dict[str, Any], nonce: str, tx: Text) -> dict[str, Any]:
    shown = dict(draft)
    if shown.get("language") == AUTO:
        shown["language"] = None
    embed = responses.embed(
        tx("Check your ladder profile"),
        tx("Press **Confirm** to save it, **Restart** to change something, or **Cancel**."),
        color=0x5865F2, fields=profile_fields(shown, tx), footer=tx("Nothing is saved until you press Confirm."))
    row = responses.action_row(
        responses.button(tx("Confirm"), f"setup_confirm:{nonce}", style=ButtonStyle.SUCCESS),
        responses.button(tx("Restart"), _restart_id(draft["country"], draft["region"], draft.get("language", ""))),
        responses.button(tx("Cancel"), f"setup_cancel:{nonce}", style=ButtonStyle.DANGER),
    )
    return responses.message(embeds=[embed], components=[row])


def next_step(profile: dict[str, Any], tx: Text) -> str:
    if not profile.get("terms_accepted"):
        if guards.needs_activation(profile):
            return tx("Next: read and accept the rules with `/termsofservice`, "
                      "then activate your account with `/activate`.")
        return tx("Next: read and accept the rules with `/termsofservice`, then `/queue` for a match.")
    if guards.needs_activation(profile):
        return tx("Next: activate your account with `/activate`.")
    return tx("You're all set: `/queue` for a match. See you on the ladder!")


def _args(job_custom_id: str | None) -> list[str]:
    return (job_custom_id or "").split(":")[1:]


# --- in-line answers (ingress) -------------------------------------------------------------------
def modal_for(country: str, region: str, tx: Text, language: str = "",
              prefill: dict[str, str] | None = None) -> dict[str, Any]:
    prefill = prefill or {}

    def value(field: str) -> str | None:
        text = prefill.get(field)
        # Discord refuses a modal whose prefilled value is longer than the input allows.
        return text if text and len(text) <= INPUT_MAX[field] else None

    # Each input sits in a Label (the form Discord documents; action rows in modals are deprecated): the
    # label names the field as the summary and the error messages do, the description carries its rule.
    custom_id = ":".join(("setup_modal", country, region, *((language,) if language else ())))
    return responses.modal(custom_id, tx("Set up your ladder profile"), [
        responses.label(tx(LABELS[NAME_FIELD]), responses.text_input(
            NAME_FIELD, min_length=3, max_length=INPUT_MAX[NAME_FIELD], placeholder=tx("Your main in-game name"),
            value=value(NAME_FIELD)), description=tx(NAME_RULE)),
        responses.label(tx(LABELS[ALT_FIELD]), responses.text_input(
            ALT_FIELD, required=False, max_length=INPUT_MAX[ALT_FIELD], placeholder="Smurf1, Smurf2",
            value=value(ALT_FIELD)), description=tx("Optional: up to {most}, separated by commas", most=MAX_ALT_NAMES)),
        responses.label(tx(LABELS[TAG_FIELD]), responses.text_input(
            TAG_FIELD, min_length=5, max_length=INPUT_MAX[TAG_FIELD], placeholder="Name#1234",
            value=value(TAG_FIELD)), description=tx("Like Name#1234")),
    ])


def _ephemeral(content: str) -> dict[str, Any]:
    return responses.channel_message({"content": content, "allowed_mentions": {"parse": []}}, ephemeral=True)


def _chosen_language(value: Any) -> str:
    """The `language:` option as the custom_ids carry it: a code, `auto`, or empty (not given)."""
    return value if isinstance(value, str) and (value == AUTO or value in LANGUAGES) else ""


def _modal_text(language: str, locale: str | None) -> Text:
    # The ingress has no database: the modal speaks the language just chosen, else the client's.
    return text_for(language if language in LANGUAGES else locale)


def open_modal(interaction: Interaction) -> dict[str, Any]:
    """/setup: the modal at once; an unknown country or region is refused before any typing."""
    raw_country, raw_region = interaction.options.get("country"), interaction.options.get("region")
    language = _chosen_language(interaction.options.get("language"))
    tx = _modal_text(language, interaction.locale)
    country = resolve_country(raw_country)
    if country is None:
        return _ephemeral(unknown_country_text(raw_country, tx))
    region = static_data.region(raw_region if isinstance(raw_region, str) else "")
    if region is None:
        return _ephemeral(tx("`{value}` is not a ladder region; pick one from the list.", value=safe_echo(raw_region)))
    return modal_for(country.code, region.code, tx, language)


def _prefill_from(message: dict[str, Any] | None) -> dict[str, str]:
    """The summary's values (from the clicked message), so Restart does not make the user retype.
    Read by position (name, alternative names, BattleTag first): the labels are in the language the
    summary was written in, which the ingress cannot know."""
    embeds = (message or {}).get("embeds") or []
    fields = (embeds[0].get("fields") or []) if embeds else []
    out = {}
    for key, field in zip((NAME_FIELD, ALT_FIELD, TAG_FIELD), fields, strict=False):
        text = field.get("value") if isinstance(field, dict) else None
        if isinstance(text, str) and text != "—":
            out[key] = text.replace("`", "")
    return out


def restart_modal(interaction: Interaction) -> dict[str, Any]:
    country, region, language = (tuple(interaction.custom_id_args) + ("", "", ""))[:3]
    language = _chosen_language(language)
    return modal_for(country, region, _modal_text(language, interaction.locale), language,
                     _prefill_from(interaction.message))


# --- queued handlers (worker) --------------------------------------------------------------------
def handle_submit(ctx: JobContext) -> Reply:
    country, region, language = (_args(ctx.job.custom_id) + ["", "", ""])[:3]
    language = _chosen_language(language)
    # Checked in English first: a valid submit learns the player's language with its one call
    # (ladder/context.py); only a refused one asks for it alone, to list the problems in it.
    draft, problems = validate(ctx.job.options, country, region, EN, language)
    if draft is None:
        tx = ctx.text()
        problems = validate(ctx.job.options, country, region, tx, language)[1]
        retry = responses.action_row(responses.button(tx("Try again"), _restart_id(country, region, language)))
        text = tx("Your profile was not saved. Please fix:") + "\n" + "\n".join(f"• {p}" for p in problems)
        # What the user typed, as the summary's fields: "Try again" reopens the modal prefilled from
        # them (restart_modal reads the clicked message), so nobody retypes the fields that were fine.
        typed = responses.embed(tx("What you typed"), None, fields=typed_fields(ctx.job.options, tx))
        return Reply(responses.message(text[:2000], embeds=[typed], components=[retry]), outcome="invalid")
    nonce = ctx.job.interaction_id
    guards.call(ctx, "ladder_setup_draft", int(ctx.job.user_id), draft, nonce)
    tx = ctx.text()
    # The summary speaks the language just chosen, so the player sees the choice take effect.
    if language in LANGUAGES:
        tx = text_for(language)
    elif language == AUTO:
        tx = text_for(ctx.job.locale)
    return Reply(summary(draft, nonce, tx), outcome="draft")


def handle_confirm(ctx: JobContext) -> Reply:
    nonce = (_args(ctx.job.custom_id) + [""])[0]
    if not nonce.isdigit():
        return Reply(responses.message(ctx.tx(STALE_TEXT)), outcome="stale")
    result = guards.call(ctx, "ladder_setup_confirm", int(ctx.job.user_id), nonce, ctx.job.interaction_id)
    status = result["status"]
    if status == "stale":
        return Reply(responses.message(ctx.tx(STALE_TEXT)), outcome="stale")
    profile = result["profile"]
    # The profile says which language it now has (the choice this click saved included).
    tx = text_for(profile.get("language") or ctx.job.locale)
    if status == "already_confirmed":
        title = tx("✅ Profile saved")
        text = tx("This setup was already confirmed; your profile is saved as shown.")
    else:
        title = tx("✅ Profile created") if result.get("created") else tx("✅ Profile updated")
        text = next_step(profile, tx)
    embed = responses.embed(title, text, color=0x57F287, fields=profile_fields(profile, tx))
    return Reply(responses.message(embeds=[embed]), outcome=status)


def handle_cancel(ctx: JobContext) -> Reply:
    nonce = (_args(ctx.job.custom_id) + [""])[0]
    result = guards.call(ctx, "ladder_setup_cancel", int(ctx.job.user_id), nonce)
    tx = ctx.text()
    if result["status"] == "already_confirmed":
        text = tx("This setup was already confirmed, so there is nothing to cancel. Run `/setup` to change it.")
        return Reply(responses.message(text), outcome="already_confirmed")
    return Reply(responses.message(tx("Setup cancelled. Nothing was saved.")), outcome="cancelled")


STALE_TEXT = N_("This setup is out of date (it was replaced or cancelled). Run `/setup` again.")

LANGUAGE_OPTION: dict[str, Any] = {
    "type": OptionType.STRING, "name": "language",
    "description": "The language the ladder speaks to you (default: your Discord language)", "required": False,
    "choices": [{"name": "My Discord language", "value": AUTO},
                *({"name": name, "value": code} for code, name in LANGUAGES.items())],
}

ROUTES = (
    Route(key="setup", kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM, ack=Ack.MODAL, modal=open_modal,
          autocomplete=autocomplete_country, description="Create or update your ladder profile",
          options=({**COUNTRY_OPTION, "description": "Your country (start typing its name)"}, REGION_OPTION,
                   LANGUAGE_OPTION)),
    # From /setup: a new ephemeral message (5); from Restart (a component): edit that message (6).
    Route(key="setup_modal", kind=InteractionType.MODAL_SUBMIT, ack=Ack.DEFERRED_UPDATE,
          handler=handle_submit),
    Route(key="setup_confirm", kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED,
          handler=handle_confirm),
    Route(key="setup_restart", kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.MODAL, modal=restart_modal),
    Route(key="setup_cancel", kind=InteractionType.MESSAGE_COMPONENT, ack=Ack.UPDATE_DISABLED,
          handler=handle_cancel),
)
