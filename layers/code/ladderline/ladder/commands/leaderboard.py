"""/leaderboard [race] [country] [region] [rank] [best_race_only]: the ranked ladder, 10 rows a
page, with Previous / Next.

Only ranked entries are listed: (player, race) entries that played within the last 30 days, each
with its letter S-F (ladderline.ladder.ranks), as of the last refresh of the ranks snapshot (migration
0011; the footer says when). One database round trip per page: ladder_leaderboard_page() returns the
page's rows, the total and the clamped page number as one jsonb value. A view lists its first
100 pages (the original lists 25 pages of 40): every page then costs the same at any population,
and /profile tells a player where they stand beyond it.

The buttons carry the page and the filters in their custom_id,
`lb:<page>:<race>:<country>:<region>:<letter>:<best 0|1>` (empty when unset; <= 100 characters
by Discord's rule, ~30 here), so the worker stays stateless; a click is acknowledged with
DEFERRED_UPDATE and the worker edits the same message. Buttons of messages sent before the rank
filters existed (five parts) still work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import ButtonStyle, InteractionType, OptionType
from ladderline.ladder import ranks, static_data
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.countries import (
    autocomplete_country,
    country_label,
    resolve_country,
    unknown_country_text,
)
from ladderline.ladder.i18n import EN, N_, Text
from ladderline.ladder.labels import EMBED_COLOR, player_label, race_name, race_short, region_label
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route

PAGE_SIZE = 10
PAGE_ROUTE = "lb"
# Page numbers in custom_ids are bounded so a crafted id cannot ask for absurd offsets (the
# database clamps to its own limit, ladder_leaderboard_max_pages(), as well).
MAX_PAGE = 100


@dataclass(frozen=True)
class Filters:
    race: str | None = None
    country: str | None = None
    region: str | None = None
    letter: str | None = None
    best_only: bool = False

    def custom_id(self, page: int) -> str:
        return ":".join((PAGE_ROUTE, str(page), self.race or "", self.country or "", self.region or "",
                         self.letter or "", "1" if self.best_only else "0"))

    def label(self, tx: Text) -> str:
        parts = [race_name(self.race) if self.race else tx("All races")]
        if self.country:
            parts.append(country_label(self.country) or self.country)
        if self.region:
            parts.append(region_label(self.region) or self.region)
        if self.letter:
            parts.append(tx("Rank {letter}", letter=self.letter))
        if self.best_only:
            parts.append(tx("Best race only"))
        return " · ".join(parts)


class FilterError(ValueError):
    """A filter the user typed that matches nothing (the message names the field)."""


def _country_code(text: Any, tx: Text) -> str:
    found = resolve_country(text)
    if found is None:
        raise FilterError(tx("Country: {problem}", problem=unknown_country_text(text, tx)))
    return found.code


def filters_from_options(options: dict[str, Any], tx: Text) -> Filters:
    race = options.get("race") or None
    if race is not None and static_data.race(str(race)) is None:
        raise FilterError(tx("Race: “{value}” is not a ladder race.", value=str(race)[:50]))
    region = options.get("region") or None
    if region is not None and static_data.region(str(region)) is None:
        raise FilterError(tx("Region: “{value}” is not a ladder region.", value=str(region)[:50]))
    country = options.get("country") or None
    letter = options.get("rank") or None
    if letter is not None and str(letter) not in ranks.LETTERS:
        raise FilterError(tx("Rank: “{value}” is not a ladder rank (S, A, B, C, D, E or F).", value=str(letter)[:50]))
    known_race = static_data.race(str(race)) if race else None
    known_region = static_data.region(str(region)) if region else None
    return Filters(
        race=known_race.code if known_race else None,
        country=_country_code(country, tx) if country else None,
        region=known_region.code if known_region else None,
        letter=str(letter) if letter else None,
        best_only=options.get("best_race_only") in (True, "1", "true"),
    )


OUT_OF_DATE = N_("This leaderboard button is out of date; run /leaderboard again.")


def parse_custom_id(custom_id: str, tx: Text) -> tuple[int, Filters]:
    parts = custom_id.split(":")
    if len(parts) not in (5, 7) or parts[0] != PAGE_ROUTE or not parts[1].isdigit():
        raise FilterError(tx(OUT_OF_DATE))
    letter, best = (parts[5], parts[6]) if len(parts) == 7 else ("", "0")
    if best not in ("0", "1"):
        raise FilterError(tx(OUT_OF_DATE))
    filters = filters_from_options({"race": parts[2], "country": parts[3], "region": parts[4], "rank": letter,
                                    "best_race_only": best}, tx)
    return min(int(parts[1]), MAX_PAGE), filters


# Parsing needs no language until it fails: the page's one database call brings the player's
# (ladder/context.py); only a refused filter asks for it on its own, and is parsed again in it.
def handle_command(ctx: JobContext) -> Reply:
    try:
        filters = filters_from_options(ctx.job.options, EN)
    except FilterError:
        return _invalid(ctx, lambda tx: filters_from_options(ctx.job.options, tx))
    return _page(ctx, 1, filters)


def handle_page(ctx: JobContext) -> Reply:
    custom_id = ctx.job.custom_id or ""
    try:
        page, filters = parse_custom_id(custom_id, EN)
    except FilterError:
        return _invalid(ctx, lambda tx: parse_custom_id(custom_id, tx))
    return _page(ctx, page, filters)


def _invalid(ctx: JobContext, parse: Callable[[Text], object]) -> Reply:
    try:
        parse(ctx.text())
    except FilterError as exc:
        return Reply(responses.message(str(exc)), outcome="invalid_filter")
    raise AssertionError("a filter refused in English is refused in every language")


def _page(ctx: JobContext, page: int, filters: Filters) -> Reply:
    board = ctx.db.call("ladder_leaderboard_page", filters.race, filters.country, filters.region, filters.letter,
                        filters.best_only, page, PAGE_SIZE)
    return Reply(render(board, filters, ctx.text()))


def render(board: dict[str, Any], filters: Filters, tx: Text) -> dict[str, Any]:
    page, pages, total = board["page"], board["pages"], board["total"]
    if board["rows"]:
        description = "\n".join(_row(r, show_race=filters.race is None) for r in board["rows"])
    elif filters != Filters():
        description = tx("No ranked players yet for these filters.")
    else:
        description = tx("No ranked players yet.")
    embed = responses.embed(
        title=tx("🏆 Leaderboard"),
        description=f"**{filters.label(tx)}**\n\n{description}",
        color=EMBED_COLOR,
        footer=(tx("Page {page}/{pages}", page=page, pages=pages) + " · "
                + _count_text(total, tx, race_filtered=filters.race is not None or filters.best_only)
                + _shown_text(board, total, tx) + (" · " + tx("ranks as of") if board.get("as_of") else "")),
        timestamp=_as_of(board),
    )
    buttons = responses.action_row(
        responses.button(tx("Previous"), filters.custom_id(page - 1), emoji="◀️", disabled=page <= 1),
        responses.button(tx("Next"), filters.custom_id(page + 1), style=ButtonStyle.PRIMARY, emoji="▶️",
                         disabled=page >= pages),
    )
    return responses.message(embeds=[embed], components=[buttons])


def _shown_text(board: dict[str, Any], total: int, tx: Text) -> str:
    shown = board.get("max_pages", 0) * board.get("page_size", PAGE_SIZE)
    if shown and total > shown:
        return " · " + tx("the first {shown} listed, /profile shows any player's place", shown=shown)
    return ""


def _as_of(board: dict[str, Any]) -> str | None:
    """The snapshot's time as the embed's timestamp: Discord shows it in the reader's own time zone."""
    at = board.get("as_of")
    return datetime.fromtimestamp(at, UTC).isoformat() if at else None


def _count_text(total: int, tx: Text, *, race_filtered: bool) -> str:
    if race_filtered:
        return tx("1 player") if total == 1 else tx("{count} players", count=total)
    # The all-races board lists each race a player ladders as its own row.
    return (tx("1 entry (one per player and race)") if total == 1
            else tx("{count} entries (one per player and race)", count=total))


def _row(row: dict[str, Any], *, show_race: bool) -> str:
    country = static_data.country(row["country"]) if row.get("country") else None
    flag = f"{country.flag} " if country else ""
    race = f" · {race_short(row['race'])}" if show_race else ""
    return (f"**#{row['rank']}** `{row.get('letter') or 'U'}` {flag}{player_label(row.get('player_name'), row['user_id'])}{race} · "
            f"**{row['mmr']}** · {row['won']}-{row['lost']}-{row['drawn']}")


ROUTES = (
    Route(
        key="leaderboard",
        kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM,
        ack=Ack.DEFERRED_MESSAGE,
        ephemeral=True,
        handler=handle_command,
        autocomplete=autocomplete_country,
        description="Show the ranked ladder (played in the last 30 days), 10 per page",
        options=(
            {"type": int(OptionType.STRING), "name": "race", "description": "Only this race", "required": False,
             "choices": [{"name": r.name, "value": r.code} for r in static_data.races()]},
            {"type": int(OptionType.STRING), "name": "country", "description": "Only players from this country",
             "required": False, "autocomplete": True},
            {"type": int(OptionType.STRING), "name": "region", "description": "Only players from this region",
             "required": False, "choices": [{"name": r.name, "value": r.code} for r in static_data.regions()]},
            {"type": int(OptionType.STRING), "name": "rank", "description": "Only this letter rank",
             "required": False, "choices": [{"name": letter, "value": letter} for letter in ranks.LETTERS]},
            {"type": int(OptionType.BOOLEAN), "name": "best_race_only",
             "description": "Only each player's best ranked race", "required": False},
        ),
    ),
    Route(
        key=PAGE_ROUTE,
        kind=InteractionType.MESSAGE_COMPONENT,
        ack=Ack.DEFERRED_UPDATE,
        ephemeral=True,
        handler=handle_page,
    ),
)
