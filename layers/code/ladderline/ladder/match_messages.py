"""The messages of a match's life: found (Confirm / Abort), the match card with the report
controls, and the aborted / abandoned / result / conflict notices. Classic embeds and components.

Every builder takes the match as ladder_match_json (infra/migrations/0021_*.sql) answers it, and
speaks each recipient's language (the match carries both players'; ladderline.ladder.i18n), and
every delivery key is built from the match id and the user id only, so a job that runs again
(a redelivery, a second click after the transition) produces the same keys and the worker sends
each message once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import ButtonStyle
from ladderline.ladder import static_data
from ladderline.ladder.deliveries import (
    ChannelMessage,
    DirectMessage,
    EditMessage,
    PrivateThread,
    ThreadUpdate,
)
from ladderline.ladder.i18n import EN, N_, Text, text_for
from ladderline.ladder.labels import display_text

GREEN, TEAL, RED, ORANGE, GOLD, BLURPLE = 0x57F287, 0x1ABC9C, 0xED4245, 0xE67E22, 0xF1C40F, 0x5865F2
CONFIRM_SECONDS = 120
REMIND_AFTER_SECONDS = 40

# custom_id routes (each <route>:<match id>[:<arg>], far below Discord's 100 characters).
CONFIRM_ROUTE, ABORT_ROUTE, ABORT_SURE_ROUTE = "mc", "ma", "mab"
REPORT_ROUTE, REPORT_SURE_ROUTE = "mr", "mrs"
# The match card's Upload replay button (opens a modal with a File Upload) and that modal.
UPLOAD_ROUTE, UPLOAD_MODAL_ROUTE = "mup", "mupm"
REPORTS = {"won": N_("I won"), "lost": N_("I lost"), "draw": N_("Draw")}
# The timer that adds every staff member to a match's thread when its reports conflict.
ROOM_STAFF_TIMER = "match_room_staff"


def race_label(code: str | None) -> str:
    found = static_data.race(code) if code else None
    return found.name if found else (code or "—")


def name_of(player: dict[str, Any]) -> str:
    return display_text(player.get("name") or "") or f"<@{player['user_id']}>"


def me_and_opponent(match: dict[str, Any], user_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    first, second = match["players"]
    return (first, second) if first["user_id"] == user_id else (second, first)


def other(match: dict[str, Any], user_id: str) -> dict[str, Any]:
    return me_and_opponent(match, user_id)[1]


def player_text(match: dict[str, Any], user_id: str) -> Text:
    """The texts in this player's language (English for anyone not in the match, e.g. staff)."""
    player = next((p for p in match["players"] if p["user_id"] == user_id), None)
    return text_for(player.get("language") if player else None)


def for_both(match: dict[str, Any], render: Callable[[Text], str]) -> str:
    """A text both players read (their match thread): once in each of their languages."""
    languages = dict.fromkeys(text_for(p.get("language")).language for p in match["players"])
    return "\n\n".join(render(text_for(language)) for language in languages)


def _found_key(match_id: int, user_id: str) -> str:
    return f"match:{match_id}:found:{user_id}"


# --- match found ---------------------------------------------------------------------------------
def found_body(match: dict[str, Any], user_id: str) -> dict[str, Any]:
    me, them = me_and_opponent(match, user_id)
    tx = player_text(match, user_id)
    number = match["match_id"]
    description = "\n".join((
        tx("Your opponent: **{name}**, {race} ({mmr} MMR)", name=name_of(them), race=race_label(them["race"]),
           mmr=them["mmr"]),
        tx("You play: {race} ({mmr} MMR)", race=race_label(me["race"]), mmr=me["mmr"]),
        "",
        tx("Press **Confirm** to play, or **Abort** to cancel. The full match details come once **both** "
           "players confirm.")))
    embed = responses.embed(tx("⚔️ Match #{number} found", number=number), description, color=GREEN,
                            fields=[(tx("Confirm before"), f"<t:{match['confirm_deadline']}:R>", False)])
    row = responses.action_row(
        responses.button(tx("Confirm"), f"{CONFIRM_ROUTE}:{number}", style=ButtonStyle.SUCCESS, emoji="✅"),
        responses.button(tx("Abort"), f"{ABORT_ROUTE}:{number}", style=ButtonStyle.DANGER, emoji="🛑"),
    )
    return responses.message(embeds=[embed], components=[row])


def abort_check_body(match: dict[str, Any], user_id: str) -> dict[str, Any]:
    """The found message after a first click on Abort: a second click aborts."""
    body = found_body(match, user_id)
    tx = player_text(match, user_id)
    number = match["match_id"]
    body["components"] = [responses.action_row(
        responses.button(tx("Confirm"), f"{CONFIRM_ROUTE}:{number}", style=ButtonStyle.SUCCESS, emoji="✅"),
        responses.button(tx("Really abort? You can't queue for 5 minutes"), f"{ABORT_SURE_ROUTE}:{number}",
                         style=ButtonStyle.DANGER, emoji="🛑"),
    )]
    return body


def found_deliveries(match: dict[str, Any]) -> list[DirectMessage]:
    return [DirectMessage(_found_key(match["match_id"], p["user_id"]), p["user_id"], found_body(match, p["user_id"]))
            for p in match["players"]]


def close_found(match: dict[str, Any], text: Callable[[Text], str]) -> list[EditMessage]:
    """Take the Confirm / Abort buttons off both players' found messages (`text` in each one's language)."""
    number = match["match_id"]
    out = []
    for p in match["players"]:
        tx = text_for(p.get("language"))
        embed = responses.embed(tx("Match #{number}", number=number), text(tx), color=BLURPLE)
        out.append(EditMessage(f"match:{number}:found-closed:{p['user_id']}", responses.message(embeds=[embed]),
                               target_key=_found_key(number, p["user_id"])))
    return out


def confirmed_body(match: dict[str, Any], user_id: str) -> dict[str, Any]:
    number = match["match_id"]
    tx = player_text(match, user_id)
    if match["status"] == "confirming":
        text = tx("✅ You confirmed. Waiting for your opponent…")
    elif match["status"] in ("aborted", "abandoned"):
        text = closed_text(match, tx)
    else:
        text = tx("✅ Both players confirmed: the match card is in your messages.")
    return responses.message(embeds=[responses.embed(tx("Match #{number}", number=number), text, color=GREEN)])


STATUSES = {"confirming": N_("waiting for both players to confirm"), "confirmed": N_("being played"),
            "conflict": N_("in conflict"), "final": N_("decided"), "invalidated": N_("invalidated"),
            "aborted": N_("aborted"), "abandoned": N_("abandoned")}


def closed_text(match: dict[str, Any], tx: Text) -> str:
    if match["status"] == "aborted":
        aborter = next((p for p in match["players"] if p["user_id"] == match.get("aborted_by")), None)
        who = name_of(aborter) if aborter else tx("a player")
        return tx("🛑 Aborted by **{who}**. No MMR changes were applied.", who=who)
    if match["status"] == "abandoned" and not match.get("announced", True):
        return tx("🛑 Cancelled: I could not tell both players about this match in time. No MMR changes were "
                  "applied.")
    if match["status"] == "abandoned":
        absent = [f"**{name_of(p)}**" for p in match["players"] if not p["confirmed"]]
        if len(absent) == 2:
            return tx("🛑 Abandoned: {first} and {second} did not confirm in time. No MMR changes were applied.",
                      first=absent[0], second=absent[1])
        return tx("🛑 Abandoned: {who} did not confirm in time. No MMR changes were applied.",
                  who=absent[0] if absent else tx("nobody"))
    return tx("This match is {status}.", status=tx(STATUSES.get(match["status"], match["status"])))


def opponent_confirmed(match: dict[str, Any], confirmer: str) -> DirectMessage:
    them = other(match, confirmer)
    tx = player_text(match, them["user_id"])
    number = match["match_id"]
    return DirectMessage(f"match:{number}:opponent-confirmed:{them['user_id']}", them["user_id"],
                         responses.message(tx("✅ Your opponent confirmed match #{number}. Press **Confirm** on the "
                                              "match message before <t:{deadline}:R>.", number=number,
                                              deadline=match["confirm_deadline"])))


def reminder(match: dict[str, Any], user_id: str) -> DirectMessage:
    number = match["match_id"]
    tx = player_text(match, user_id)
    return DirectMessage(f"match:{number}:remind:{user_id}", user_id,
                         responses.message(tx("⏰ Match #{number} is waiting for you: press **Confirm** before "
                                              "<t:{deadline}:R> or it is abandoned (and you can't queue for 10 "
                                              "minutes).", number=number, deadline=match["confirm_deadline"])))


def closed_notices(match: dict[str, Any]) -> list[DirectMessage | EditMessage]:
    """Aborted or abandoned: both players told once, both found messages closed."""
    number = match["match_id"]
    notices: list[DirectMessage | EditMessage] = []
    for player in match["players"]:
        tx = text_for(player.get("language"))
        # Only a player who was told about the match (it was announced) can be blamed for not confirming.
        penalised = (player["user_id"] == match.get("aborted_by") if match["status"] == "aborted"
                     else not player["confirmed"] and match.get("announced", True))
        minutes = 5 if match["status"] == "aborted" else 10
        extra = (tx("You can't queue for {minutes} minutes.", minutes=minutes) if penalised
                 else tx("You can queue again with `/queue`."))
        title = (tx("🛑 Match #{number} aborted", number=number) if match["status"] == "aborted"
                 else tx("🛑 Match #{number} abandoned", number=number))
        embed = responses.embed(title, closed_text(match, tx) + "\n" + extra, color=RED)
        notices.append(DirectMessage(f"match:{number}:{match['status']}:{player['user_id']}", player["user_id"],
                                     responses.message(embeds=[embed])))
    notices.extend(close_found(match, lambda tx: closed_text(match, tx)))
    return notices


# --- the match card ------------------------------------------------------------------------------
# --- the match's private thread (deployment setting: MatchThreadChannelId + GuildId) -------------------
def room_key(match_id: int) -> str:
    return f"match:{match_id}:room"


def room_name(match_id: int) -> str:
    """The thread's name; unique per match, so a re-run finds the thread by it (pipeline/outbox.py)."""
    return f"match-{match_id}"


def room_opened(match: dict[str, Any], guild_id: str, channel_id: str) -> PrivateThread:
    """A confirmed match's private thread for its two players, with what they need to meet."""
    number = match["match_id"]
    first, second = match["players"]
    server = static_data.server(match["server"])
    ladder_map = static_data.ladder_map(match["map"])
    head = (f"**Match #{number}**: <@{first['user_id']}> ({race_label(first['race'])}) vs <@{second['user_id']}> "
            f"({race_label(second['race'])}), **{ladder_map.name if ladder_map else match['map']}**, "
            f"**{server.name if server else match['server']}**.")
    body = responses.message(head + "\n" + for_both(match, lambda tx: tx(
        "Only you two (and ladder staff) see this thread: agree on the lobby here, then report the result on "
        "your match cards. It closes when the match is decided.")))
    body["allowed_mentions"] = {"parse": [], "users": [first["user_id"], second["user_id"]]}
    return PrivateThread(room_key(number), guild_id, channel_id, room_name(number),
                         (first["user_id"], second["user_id"]), body)


def room_after_result(match: dict[str, Any]) -> list[ThreadUpdate]:
    """The thread told how the match ended and, once decided, archived and locked (skipped by the
    worker where no thread was made)."""
    number, status = match["match_id"], match["status"]
    if status in ("final", "invalidated"):
        text = for_both(match, lambda tx: (tx("🏁 Match #{number} is decided.", number=number) if status == "final"
                                           else tx("🏁 Match #{number} is invalidated.", number=number))
                        + " " + result_line(match, tx))
        return [ThreadUpdate(f"{room_key(number)}-{status}", room_key(number), body=responses.message(text[:2000]),
                             archive=True)]
    if status == "conflict":
        return [ThreadUpdate(f"{room_key(number)}-conflict", room_key(number), body=responses.message(for_both(
            match, lambda tx: tx("⚠️ Match #{number}: the reports conflict. Ladder staff join this thread to decide.",
                                 number=number))))]
    return []


def _player_block(player: dict[str, Any], tx: Text) -> str:
    country = static_data.country(player.get("country") or "")
    flag = f"{country.flag} " if country else ""
    lines = [f"- {flag}**{name_of(player)}** ({race_label(player['race'])}, {player['mmr']} MMR)",
             f"  - Discord: <@{player['user_id']}>",
             f"  - BattleTag: `{player.get('battletag') or '—'}`"]
    if player.get("alt_names"):
        lines.append("  - " + tx("a.k.a. {names}", names=", ".join(display_text(n) for n in player["alt_names"])))
    return "\n".join(lines)


def card_body(match: dict[str, Any], user_id: str) -> dict[str, Any]:
    tx = player_text(match, user_id)
    number = match["match_id"]
    first, second = match["players"]
    server = static_data.server(match["server"])
    game_region = server.game_region if server else "AM"
    ladder_map = static_data.ladder_map(match["map"])
    mod = static_data.mod()
    lobby = static_data.lobby_settings()
    map_name = ladder_map.name if ladder_map else match["map"]
    map_lines = [tx("Map: **{map}**", map=map_name)]
    if ladder_map:
        map_lines += [tx("Map link: `{link}`", link=ladder_map.link(game_region)),
                      tx("Map author: {author}", author=ladder_map.author)]
    map_lines += [tx("Mod: **{mod}** by {author}", mod=mod["name"], author=mod["author"]),
                  tx("Mod link: `{link}`", link=static_data.battlenet_link(mod["ids"].get(game_region), game_region)),
                  tx("Server: **{server}** ({region})", server=server.name if server else match["server"],
                     region=game_region),
                  tx("In-game channel: `{channel}`", channel=lobby["in_game_channel"]),
                  tx("Locked alliances: {alliances} · Privacy: {privacy} · Speed: {speed} · Duration: {duration}",
                     alliances=lobby["locked_alliances"], privacy=lobby["game_privacy"], speed=lobby["game_speed"],
                     duration=lobby["game_duration"])]
    embed = responses.embed(
        tx("Match #{number}: {first} vs {second}", number=number, first=name_of(first), second=name_of(second)),
        tx("Host the lobby with these settings, play, then report the result below.")
        if match["status"] == "confirmed" else tx("This match is over: its result is below."),
        color=TEAL,
        fields=[(tx("👥 Players"), _player_block(first, tx) + "\n" + _player_block(second, tx), False),
                (tx("🌐 Match settings"), "\n".join(map_lines), False),
                (tx("📊 Result"), result_line(match, tx), False)])
    components = []
    if match["status"] == "confirmed":
        components.append(responses.action_row(*(
            responses.button(tx(label), f"{REPORT_ROUTE}:{number}:{value}",
                             style=ButtonStyle.SECONDARY if value == "draw" else
                             ButtonStyle.SUCCESS if value == "won" else ButtonStyle.DANGER)
            for value, label in REPORTS.items()),
            responses.button(tx("Upload replay"), f"{UPLOAD_ROUTE}:{number}", style=ButtonStyle.PRIMARY,
                             emoji="🎞️")))
    return responses.message(embeds=[embed], components=components)


def result_line(match: dict[str, Any], tx: Text) -> str:
    status = match["status"]
    if status == "final":
        first, second = match["players"]
        winner = {"player_1_win": name_of(first), "player_2_win": name_of(second)}.get(match["result"])
        outcome = tx("🏆 **{winner}** won", winner=winner) if winner else tx("⚖️ Draw")
        if match.get("replay"):
            outcome += " " + tx("(decided by a verified replay)")
        return (f"{outcome}\n{name_of(first)}: {_signed(first['mmr_change'])} · "
                f"{name_of(second)}: {_signed(second['mmr_change'])}")
    if status == "conflict":
        return tx("⚠️ Conflicting reports: ladder staff will decide.")
    if status == "invalidated":
        return tx("Invalidated by ladder staff: no MMR changes.")
    return tx("Not reported yet.")


def _signed(value: int | None) -> str:
    return "±0" if not value else f"{value:+d}"


def card_deliveries(match: dict[str, Any]) -> list[DirectMessage | EditMessage]:
    number = match["match_id"]
    out: list[DirectMessage | EditMessage] = [
        DirectMessage(f"match:{number}:card:{p['user_id']}", p["user_id"], card_body(match, p["user_id"]))
        for p in match["players"]]
    out.extend(close_found(match, lambda tx: tx("✅ Both players confirmed: see the match card.")))
    return out


# --- reports and results -------------------------------------------------------------------------
def report_question(match_id: int, report: str, tx: Text) -> dict[str, Any]:
    row = responses.action_row(
        responses.button(tx("Yes, report “{report}”", report=tx(REPORTS[report])),
                         f"{REPORT_SURE_ROUTE}:{match_id}:{report}", style=ButtonStyle.PRIMARY))
    return responses.message(tx("Report **{report}** for match #{match_id}? This can't be changed afterwards.",
                                report=tx(REPORTS[report]), match_id=match_id), components=[row])


def your_report_text(match: dict[str, Any], user_id: str) -> str:
    me, _ = me_and_opponent(match, user_id)
    tx = player_text(match, user_id)
    value = me.get("report")
    if value is None:
        return tx("You haven't reported yet.")
    mine = "draw" if value == "draw" else (
        "won" if (value == "player_1_win") == (match["players"][0]["user_id"] == user_id) else "lost")
    return tx("You reported **{report}**.", report=tx(REPORTS[mine]))


def card_closed(match: dict[str, Any]) -> list[EditMessage]:
    """Each player's match card, edited to show how the match ended, without its report and
    upload buttons: nobody is asked to report a finished match."""
    number = match["match_id"]
    return [EditMessage(f"match:{number}:card-{match['status']}:{p['user_id']}", card_body(match, p["user_id"]),
                        target_key=f"match:{number}:card:{p['user_id']}")
            for p in match["players"]]


def result_deliveries(match: dict[str, Any], staff: tuple[str | None, str | None],
                      extra_lines: tuple[Callable[[Text], str], ...] = ()) -> list[Any]:
    """What the players (and staff) are told once a match is final, in conflict or invalidated
    (`extra_lines`: below the result, e.g. the checks of the replay that decided it), and their
    cards edited to match."""
    number = match["match_id"]
    status = match["status"]
    out: list[Any] = []
    if status == "final" or status == "invalidated":
        for player in match["players"]:
            me, tx = player, text_for(player.get("language"))
            title = (tx("🏆 Match #{number} result", number=number) if status == "final"
                     else tx("Match #{number} invalidated", number=number))
            lines = [result_line(match, tx)]
            if status == "final":
                lines.append(tx("Your MMR: {before} → {after} ({change}, {race})", before=me["mmr"],
                                after=me["mmr"] + (me["mmr_change"] or 0), change=_signed(me["mmr_change"]),
                                race=race_label(me["race"])))
            if match.get("resolved_by"):
                lines.append(tx("⚠️ Decided by ladder staff: {reason}",
                                reason=display_text(match.get("resolve_reason") or "")))
            lines.extend(line(tx) for line in extra_lines)
            out.append(DirectMessage(f"match:{number}:{status}:{player['user_id']}", player["user_id"],
                                     responses.message(embeds=[responses.embed(title, "\n".join(lines),
                                                                                color=GOLD)])))
    elif status == "conflict":
        channel, role = staff
        if channel:
            # First: deliveries go out in order, so the players hear "staff have been alerted"
            # only once the staff channel has the message. The staff channel reads English.
            out.append(staff_message(f"match:{number}:conflict-staff", channel, role,
                                     f"⚠️ Match #{number} has conflicting reports.\n{_reports(match, EN)}\n"
                                     f"Resolve it with `/admin resolve match_id:{number}`."))
        for player in match["players"]:
            tx = text_for(player.get("language"))
            next_step = (tx("Ladder staff have been alerted and will decide.") if channel else
                         tx("This ladder has no staff channel, so nobody has been alerted: ask a ladder moderator "
                            "to decide match #{number} (`/admin resolve match_id:{number}`).", number=number))
            embed = responses.embed(tx("⚠️ Match #{number} result conflict", number=number),
                                    _reports(match, tx) + "\n\n" + tx("No MMR changes.") + " " + next_step,
                                    color=ORANGE)
            out.append(DirectMessage(f"match:{number}:conflict:{player['user_id']}", player["user_id"],
                                     responses.message(embeds=[embed])))
    if status in ("final", "conflict", "invalidated"):
        out.extend(card_closed(match))  # last: a conflict's staff message goes first
        out.extend(room_after_result(match))
    return out


def _reports(match: dict[str, Any], tx: Text) -> str:
    return "\n".join(tx("{name} reported: {report}", name=name_of(p), report=_report_name(p.get("report"), match, tx))
                     for p in match["players"])


def _report_name(value: str | None, match: dict[str, Any], tx: Text) -> str:
    first, second = match["players"]
    if value in ("player_1_win", "player_2_win"):
        return tx("{name} won", name=name_of(first if value == "player_1_win" else second))
    return tx("draw") if value == "draw" else tx("nothing")


def staff_message(key: str, channel_id: str, role_id: str | None, text: str) -> ChannelMessage:
    """A message in the staff channel that pings the staff role and nobody else (allowed_mentions)."""
    mention = f"<@&{role_id}> " if role_id else ""
    body = responses.message(mention + text)
    body["allowed_mentions"] = {"parse": [], "roles": [role_id] if role_id else []}
    return ChannelMessage(key, channel_id, body)


def opponent_reported(match: dict[str, Any], reporter: str) -> DirectMessage:
    them = other(match, reporter)
    tx = player_text(match, them["user_id"])
    number = match["match_id"]
    reported = _report_name(next(p for p in match["players"] if p["user_id"] == reporter).get("report"), match, tx)
    return DirectMessage(f"match:{number}:opponent-reported:{them['user_id']}", them["user_id"],
                         responses.message(tx("📝 Your opponent reported the result of match #{number}: **{report}**. "
                                              "Report yours with the buttons on the match card.", number=number,
                                              report=reported)))
