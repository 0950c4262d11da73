"""/profile [user]: a player's profile card, answered from ONE database round trip.

ladder_profile_snapshot() (migration 0011) returns the player, every race's live MMR and record, its
letter rank (S-F over the entries that played within 30 days, ladderline.ladder.ranks) and global
place as of the last ranks refresh, the last 5 matches and the queue preferences as one jsonb value;
this module only renders it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType, OptionType
from ladderline.ladder import guards, ranks
from ladderline.ladder.context import JobContext, Reply, now
from ladderline.ladder.countries import country_label
from ladderline.ladder.i18n import Text
from ladderline.ladder.labels import (
    EMBED_COLOR,
    display_text,
    player_label,
    race_name,
    race_short,
    record_text,
    region_label,
)
from ladderline.ladder.match_messages import STATUSES
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route


def target_user(ctx: JobContext) -> str:
    # A USER option's value is the user id as a string.
    chosen = ctx.job.options.get("user")
    return str(chosen) if isinstance(chosen, (str, int)) and str(chosen).isdigit() else ctx.job.user_id


def handle(ctx: JobContext) -> Reply:
    user_id = target_user(ctx)
    # The player's language comes with this one call (ladder/context.py): still one round trip.
    profile = ctx.db.call("ladder_profile_snapshot", int(user_id))
    tx = ctx.text()
    if profile is None:
        if user_id == ctx.job.user_id:
            text = tx("You don't have a ladder profile yet. Use `/setup` to create one.")
        else:
            text = tx("That player (<@{user_id}>) has no ladder profile yet.", user_id=user_id)
        return Reply(responses.message(text), outcome="no_profile")
    return Reply(responses.message(embeds=[profile_embed(profile, now(ctx).timestamp(), tx)]))


def profile_embed(profile: dict[str, Any], at: float, tx: Text) -> dict[str, Any]:
    lines = []
    if profile.get("battletag"):
        lines.append(tx("**BattleTag:** {tag}", tag=display_text(profile["battletag"])))
    country = country_label(profile.get("country"))
    if country:
        lines.append(tx("**Country:** {country}", country=country))
    region = region_label(profile.get("region"))
    if region:
        lines.append(tx("**Region:** {region}", region=region))
    if profile.get("alt_names"):
        lines.append(tx("**Also known as:** {names}", names=", ".join(display_text(n) for n in profile["alt_names"])))
    if guards.needs_activation(profile):
        lines.append(tx("_Not activated yet: use `/activate` to start playing._"))
    fields = [(race_name(r["race"]), race_field(r, at, tx), True) for r in profile.get("races", [])]
    if not fields:
        fields.append((tx("Ladder"), tx("No games played yet."), False))
    recent = [recent_line(m, tx) for m in profile.get("recent") or []]
    if recent:
        fields.append((tx("Last matches"), "\n".join(recent), False))
    preferences = profile.get("preferences") or {}
    if preferences.get("last_chosen_races"):
        fields.append((tx("Last queued as"), ", ".join(race_name(r) for r in preferences["last_chosen_races"]),
                       False))
    since = tx("Player since {date}", date=profile["created_at"])
    return responses.embed(
        title=player_label(profile.get("player_name"), profile["user_id"]),
        description="\n".join(lines) or None,
        color=EMBED_COLOR,
        fields=fields,
        footer=since + (" · " + tx("ranks as of") if profile.get("ranks_as_of") else ""),
        timestamp=(datetime.fromtimestamp(profile["ranks_as_of"], UTC).isoformat()
                   if profile.get("ranks_as_of") else None),
    )


def race_field(race: dict[str, Any], at: float, tx: Text) -> str:
    """MMR and record are live; the letter and place are the ranks snapshot's (migration 0011)."""
    mmr = f"MMR **{race['mmr']}**"
    if not race.get("played"):
        return f"{mmr}\n" + tx("Unranked (no games yet)")
    record = record_text(race["won"], race["lost"], race["drawn"], tx)
    if not race.get("letter"):
        recent = race.get("last_played") and at - race["last_played"] < ranks.ACTIVE_DAYS * 86400
        if recent:  # played since the ranks were last computed
            return f"{mmr}\n{record}\n" + tx("Ranked at the next ranks update")
        return f"{mmr}\n{record}\n" + tx("Unranked (no game in {days} days)", days=ranks.ACTIVE_DAYS)
    return f"{mmr}\n{record}\n" + tx("Rank **{letter}** · #{place} of {ranked}", letter=race["letter"],
                                       place=race["rank"], ranked=race["ranked"])


RESULT_WORDS = {"player_1_win": (1, "won"), "player_2_win": (2, "won"), "draw": (0, "draw")}


def recent_line(match: dict[str, Any], tx: Text) -> str:
    """One of the last matches: number, races, opponent, outcome and the player's MMR change."""
    races = f"{race_short(match['race'])} vs {race_short(match['opponent_race'])}"
    opponent = display_text(match.get("opponent") or "?")
    result = match.get("result")
    if match["status"] == "final" and result in RESULT_WORDS:
        winner, _ = RESULT_WORDS[result]
        outcome = tx("Draw") if winner == 0 else (tx("Won") if winner == match["side"] else tx("Lost"))
        change = match.get("mmr_change")
        outcome += f" ({change:+d})" if isinstance(change, int) else ""
    else:
        outcome = tx(STATUSES.get(match["status"], str(match["status"]))).capitalize()
    return tx("#{number} · {races} · vs {opponent} · {outcome} · <t:{at}:d>", number=match["match_id"], races=races,
              opponent=opponent, outcome=outcome, at=match["at"])


ROUTES = (
    Route(
        key="profile",
        kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM,
        ack=Ack.DEFERRED_MESSAGE,
        ephemeral=True,
        handler=handle,
        description="Show your ladder profile, or another player's",
        options=({"type": int(OptionType.USER), "name": "user", "description": "Whose profile (default: yours)",
                  "required": False},),
    ),
)
