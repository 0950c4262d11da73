"""The messages of a match's life: found (Confirm / Abort), the match card with the report
controls, and the aborted / abandoned / result / conflict notices. Classic embeds and components.

Every builder takes the match as ladder_match_json (infra/migrations/0006_*.sql) answers it, and
every delivery key is built from the match id and the user id only, so a job that runs again
(a redelivery, a second click after the transition) produces the same keys and the worker sends
each message once.
"""

from __future__ import annotations

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
from ladderline.ladder.labels import display_text

GREEN, TEAL, RED, ORANGE, GOLD, BLURPLE = 0x57F287, 0x1ABC9C, 0xED4245, 0xE67E22, 0xF1C40F, 0x5865F2
CONFIRM_SECONDS = 120
REMIND_AFTER_SECONDS = 40

# custom_id routes (each <route>:<match id>[:<arg>], far below Discord's 100 characters).
CONFIRM_ROUTE, ABORT_ROUTE, ABORT_SURE_ROUTE = "mc", "ma", "mab"
REPORT_ROUTE, REPORT_SURE_ROUTE = "mr", "mrs"
# The match card's Upload replay button (opens a modal with a File Upload) and that modal.
UPLOAD_ROUTE, UPLOAD_MODAL_ROUTE = "mup", "mupm"
REPORTS = {"won": "I won", "lost": "I lost", "draw": "Draw"}
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


def _found_key(match_id: int, user_id: str) -> str:
    return f"match:{match_id}:found:{user_id}"


# --- match found ---------------------------------------------------------------------------------
def found_body(match: dict[str, Any], user_id: str) -> dict[str, Any]:
    me, them = me_and_opponent(match, user_id)
    number = match["match_id"]
    description = (
        f"Your opponent: **{name_of(them)}**, {race_label(them['race'])} ({them['mmr']} MMR)\n"
        f"You play: {race_label(me['race'])} ({me['mmr']} MMR)\n\n"
        "Press **Confirm** to play, or **Abort** to cancel. The full match details come once **both** "
        "players confirm.")
    embed = responses.embed(f"⚔️ Match #{number} found", description, color=GREEN,
                            fields=[("Confirm before", f"<t:{match['confirm_deadline']}:R>", False)])
    row = responses.action_row(
        responses.button("Confirm", f"{CONFIRM_ROUTE}:{number}", style=ButtonStyle.SUCCESS, emoji="✅"),
        responses.button("Abort", f"{ABORT_ROUTE}:{number}", style=ButtonStyle.DANGER, emoji="🛑"),
    )
    return responses.message(embeds=[embed], components=[row])


def abort_check_body(match: dict[str, Any], user_id: str) -> dict[str, Any]:
    """The found message after a first click on Abort: a second click aborts."""
    body = found_body(match, user_id)
    number = match["match_id"]
    body["components"] = [responses.action_row(
        responses.button("Confirm", f"{CONFIRM_ROUTE}:{number}", style=ButtonStyle.SUCCESS, emoji="✅"),
        responses.button("Really abort? You can't queue for 5 minutes", f"{ABORT_SURE_ROUTE}:{number}",
                         style=ButtonStyle.DANGER, emoji="🛑"),
    )]
    return body


def found_deliveries(match: dict[str, Any]) -> list[DirectMessage]:
    return [DirectMessage(_found_key(match["match_id"], p["user_id"]), p["user_id"], found_body(match, p["user_id"]))
            for p in match["players"]]


def close_found(match: dict[str, Any], text: str) -> list[EditMessage]:
    """Take the Confirm / Abort buttons off both players' found messages."""
    number = match["match_id"]
    return [EditMessage(f"match:{number}:found-closed:{p['user_id']}",
                        responses.message(embeds=[responses.embed(f"Match #{number}", text, color=BLURPLE)]),
                        target_key=_found_key(number, p["user_id"]))
            for p in match["players"]]


def confirmed_body(match: dict[str, Any], user_id: str) -> dict[str, Any]:
    number = match["match_id"]
    if match["status"] == "confirming":
        text = "✅ You confirmed. Waiting for your opponent…"
    elif match["status"] in ("aborted", "abandoned"):
        text = closed_text(match)
    else:
        text = "✅ Both players confirmed: the match card is in your messages."
    return responses.message(embeds=[responses.embed(f"Match #{number}", text, color=GREEN)])


def closed_text(match: dict[str, Any]) -> str:
    if match["status"] == "aborted":
        aborter = next((p for p in match["players"] if p["user_id"] == match.get("aborted_by")), None)
        who = name_of(aborter) if aborter else "a player"
        return f"🛑 Aborted by **{who}**. No MMR changes were applied."
    if match["status"] == "abandoned" and not match.get("announced", True):
        return "🛑 Cancelled: I could not tell both players about this match in time. No MMR changes were applied."
    if match["status"] == "abandoned":
        absent = [name_of(p) for p in match["players"] if not p["confirmed"]]
        who = " and ".join(f"**{n}**" for n in absent) or "nobody"
        return f"🛑 Abandoned: {who} did not confirm in time. No MMR changes were applied."
    return f"This match is {match['status']}."


def opponent_confirmed(match: dict[str, Any], confirmer: str) -> DirectMessage:
    them = other(match, confirmer)
    number = match["match_id"]
    return DirectMessage(f"match:{number}:opponent-confirmed:{them['user_id']}", them["user_id"],
                         responses.message(f"✅ Your opponent confirmed match #{number}. Press **Confirm** on the "
                                           f"match message before <t:{match['confirm_deadline']}:R>."))


def reminder(match: dict[str, Any], user_id: str) -> DirectMessage:
    number = match["match_id"]
    return DirectMessage(f"match:{number}:remind:{user_id}", user_id,
                         responses.message(f"⏰ Match #{number} is waiting for you: press **Confirm** before "
                                           f"<t:{match['confirm_deadline']}:R> or it is abandoned "
                                           "(and you can't queue for 10 minutes)."))


def closed_notices(match: dict[str, Any]) -> list[DirectMessage | EditMessage]:
    """Aborted or abandoned: both players told once, both found messages closed."""
    number = match["match_id"]
    text = closed_text(match)
    timeouts = {"aborted": "5", "abandoned": "10"}
    notices: list[DirectMessage | EditMessage] = []
    for player in match["players"]:
        # Only a player who was told about the match (it was announced) can be blamed for not confirming.
        penalised = (player["user_id"] == match.get("aborted_by") if match["status"] == "aborted"
                     else not player["confirmed"] and match.get("announced", True))
        extra = f"\nYou can't queue for {timeouts[match['status']]} minutes." if penalised else \
            "\nYou can queue again with `/queue`."
        embed = responses.embed(f"🛑 Match #{number} {match['status']}", text + extra, color=RED)
        notices.append(DirectMessage(f"match:{number}:{match['status']}:{player['user_id']}", player["user_id"],
                                     responses.message(embeds=[embed])))
    notices.extend(close_found(match, text))
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
    body = responses.message(
        f"**Match #{number}**: <@{first['user_id']}> ({race_label(first['race'])}) vs <@{second['user_id']}> "
        f"({race_label(second['race'])}) on **{ladder_map.name if ladder_map else match['map']}**, server "
        f"**{server.name if server else match['server']}**.\nOnly you two (and ladder staff) see this thread: "
        "agree on the lobby here, then report the result on your match cards. It closes when the match is decided.")
    body["allowed_mentions"] = {"parse": [], "users": [first["user_id"], second["user_id"]]}
    return PrivateThread(room_key(number), guild_id, channel_id, room_name(number),
                         (first["user_id"], second["user_id"]), body)


def room_after_result(match: dict[str, Any]) -> list[ThreadUpdate]:
    """The thread told how the match ended and, once decided, archived and locked (skipped by the
    worker where no thread was made)."""
    number, status = match["match_id"], match["status"]
    if status in ("final", "invalidated"):
        text = f"🏁 Match #{number} is {'decided' if status == 'final' else 'invalidated'}. {result_line(match)}"
        return [ThreadUpdate(f"{room_key(number)}-{status}", room_key(number), body=responses.message(text),
                             archive=True)]
    if status == "conflict":
        return [ThreadUpdate(f"{room_key(number)}-conflict", room_key(number), body=responses.message(
            f"⚠️ Match #{number}: the reports conflict. Ladder staff join this thread to decide."))]
    return []


def _player_block(player: dict[str, Any]) -> str:
    country = static_data.country(player.get("country") or "")
    flag = f"{country.flag} " if country else ""
    lines = [f"- {flag}**{name_of(player)}** ({race_label(player['race'])}, {player['mmr']} MMR)",
             f"  - Discord: <@{player['user_id']}>",
             f"  - BattleTag: `{player.get('battletag') or '—'}`"]
    if player.get("alt_names"):
        lines.append("  - a.k.a. " + ", ".join(display_text(n) for n in player["alt_names"]))
    return "\n".join(lines)


def card_body(match: dict[str, Any], user_id: str) -> dict[str, Any]:
    number = match["match_id"]
    first, second = match["players"]
    server = static_data.server(match["server"])
    game_region = server.game_region if server else "AM"
    ladder_map = static_data.ladder_map(match["map"])
    mod = static_data.mod()
    lobby = static_data.lobby_settings()
    map_lines = [f"Map: **{ladder_map.name if ladder_map else match['map']}**"]
    if ladder_map:
        map_lines += [f"Map link: `{ladder_map.link(game_region)}`", f"Map author: {ladder_map.author}"]
    map_lines += [f"Mod: **{mod['name']}** by {mod['author']}",
                  f"Mod link: `{static_data.battlenet_link(mod['ids'].get(game_region), game_region)}`",
                  f"Server: **{server.name if server else match['server']}** ({game_region})",
                  f"In-game channel: `{lobby['in_game_channel']}`",
                  (f"Locked alliances: {lobby['locked_alliances']} · Privacy: {lobby['game_privacy']} · "
                   f"Speed: {lobby['game_speed']} · Duration: {lobby['game_duration']}")]
    embed = responses.embed(
        f"Match #{number}: {name_of(first)} vs {name_of(second)}",
        "Host the lobby with these settings, play, then report the result below." if match["status"] == "confirmed"
        else "This match is over: its result is below.",
        color=TEAL,
        fields=[("👥 Players", _player_block(first) + "\n" + _player_block(second), False),
                ("🌐 Match settings", "\n".join(map_lines), False),
                ("📊 Result", result_line(match), False)])
    components = []
    if match["status"] == "confirmed":
        components.append(responses.action_row(*(
            responses.button(label, f"{REPORT_ROUTE}:{number}:{value}",
                             style=ButtonStyle.SECONDARY if value == "draw" else
                             ButtonStyle.SUCCESS if value == "won" else ButtonStyle.DANGER)
            for value, label in REPORTS.items()),
            responses.button("Upload replay", f"{UPLOAD_ROUTE}:{number}", style=ButtonStyle.PRIMARY, emoji="🎞️")))
    return responses.message(embeds=[embed], components=components)


def result_line(match: dict[str, Any]) -> str:
    status = match["status"]
    if status == "final":
        first, second = match["players"]
        winner = {"player_1_win": name_of(first), "player_2_win": name_of(second)}.get(match["result"])
        outcome = f"🏆 **{winner}** won" if winner else "⚖️ Draw"
        if match.get("replay"):
            outcome += " (decided by a verified replay)"
        return (f"{outcome}\n{name_of(first)}: {_signed(first['mmr_change'])} · "
                f"{name_of(second)}: {_signed(second['mmr_change'])}")
    if status == "conflict":
        return "⚠️ Conflicting reports: ladder staff will decide."
    if status == "invalidated":
        return "Invalidated by ladder staff: no MMR changes."
    return "Not reported yet."


def _signed(value: int | None) -> str:
    return "±0" if not value else f"{value:+d}"


def card_deliveries(match: dict[str, Any]) -> list[DirectMessage | EditMessage]:
    number = match["match_id"]
    out: list[DirectMessage | EditMessage] = [
        DirectMessage(f"match:{number}:card:{p['user_id']}", p["user_id"], card_body(match, p["user_id"]))
        for p in match["players"]]
    out.extend(close_found(match, "✅ Both players confirmed: see the match card."))
    return out


# --- reports and results -------------------------------------------------------------------------
def report_question(match_id: int, report: str) -> dict[str, Any]:
    row = responses.action_row(
        responses.button(f"Yes, report “{REPORTS[report]}”", f"{REPORT_SURE_ROUTE}:{match_id}:{report}",
                         style=ButtonStyle.PRIMARY))
    return responses.message(f"Report **{REPORTS[report]}** for match #{match_id}? This can't be changed "
                             "afterwards.", components=[row])


def your_report_text(match: dict[str, Any], user_id: str) -> str:
    me, _ = me_and_opponent(match, user_id)
    value = me.get("report")
    if value is None:
        return "You haven't reported yet."
    mine = "draw" if value == "draw" else (
        "won" if (value == "player_1_win") == (match["players"][0]["user_id"] == user_id) else "lost")
    return f"You reported **{REPORTS[mine]}**."


def card_closed(match: dict[str, Any]) -> list[EditMessage]:
    """Each player's match card, edited to show how the match ended, without its report and
    upload buttons: nobody is asked to report a finished match."""
    number = match["match_id"]
    return [EditMessage(f"match:{number}:card-{match['status']}:{p['user_id']}", card_body(match, p["user_id"]),
                        target_key=f"match:{number}:card:{p['user_id']}")
            for p in match["players"]]


def result_deliveries(match: dict[str, Any], staff: tuple[str | None, str | None],
                      extra_lines: tuple[str, ...] = ()) -> list[Any]:
    """What the players (and staff) are told once a match is final, in conflict or invalidated
    (`extra_lines`: below the result, e.g. the checks of the replay that decided it), and their
    cards edited to match."""
    number = match["match_id"]
    status = match["status"]
    out: list[Any] = []
    if status == "final" or status == "invalidated":
        title = f"🏆 Match #{number} result" if status == "final" else f"Match #{number} invalidated"
        for player in match["players"]:
            me = player
            lines = [result_line(match)]
            if status == "final":
                lines.append(f"Your MMR: {me['mmr']} → {me['mmr'] + (me['mmr_change'] or 0)} "
                             f"({_signed(me['mmr_change'])}, {race_label(me['race'])})")
            if match.get("resolved_by"):
                lines.append(f"⚠️ Decided by ladder staff: {display_text(match.get('resolve_reason') or '')}")
            lines.extend(extra_lines)
            out.append(DirectMessage(f"match:{number}:{status}:{player['user_id']}", player["user_id"],
                                     responses.message(embeds=[responses.embed(title, "\n".join(lines),
                                                                                color=GOLD)])))
    elif status == "conflict":
        first, second = match["players"]
        reports = "\n".join(f"{name_of(p)} reported: {_report_name(p.get('report'), match)}" for p in (first, second))
        channel, role = staff
        if channel:
            # First: deliveries go out in order, so the players hear "staff have been alerted"
            # only once the staff channel has the message.
            out.append(staff_message(f"match:{number}:conflict-staff", channel, role,
                                     f"⚠️ Match #{number} has conflicting reports.\n{reports}\n"
                                     f"Resolve it with `/admin resolve match_id:{number}`."))
            next_step = "Ladder staff have been alerted and will decide."
        else:
            next_step = (f"This ladder has no staff channel, so nobody has been alerted: ask a ladder moderator "
                         f"to decide match #{number} (`/admin resolve match_id:{number}`).")
        for player in match["players"]:
            embed = responses.embed(f"⚠️ Match #{number} result conflict",
                                    f"{reports}\n\nNo MMR changes. {next_step}", color=ORANGE)
            out.append(DirectMessage(f"match:{number}:conflict:{player['user_id']}", player["user_id"],
                                     responses.message(embeds=[embed])))
    if status in ("final", "conflict", "invalidated"):
        out.extend(card_closed(match))  # last: a conflict's staff message goes first
        out.extend(room_after_result(match))
    return out


def _report_name(value: str | None, match: dict[str, Any]) -> str:
    first, second = match["players"]
    return {"player_1_win": f"{name_of(first)} won", "player_2_win": f"{name_of(second)} won",
            "draw": "draw", None: "nothing"}[value]


def staff_message(key: str, channel_id: str, role_id: str | None, text: str) -> ChannelMessage:
    """A message in the staff channel that pings the staff role and nobody else (allowed_mentions)."""
    mention = f"<@&{role_id}> " if role_id else ""
    body = responses.message(mention + text)
    body["allowed_mentions"] = {"parse": [], "roles": [role_id] if role_id else []}
    return ChannelMessage(key, channel_id, body)


def opponent_reported(match: dict[str, Any], reporter: str) -> DirectMessage:
    them = other(match, reporter)
    number = match["match_id"]
    reported = _report_name(next(p for p in match["players"] if p["user_id"] == reporter).get("report"), match)
    return DirectMessage(f"match:{number}:opponent-reported:{them['user_id']}", them["user_id"],
                         responses.message(f"📝 Your opponent reported the result of match #{number}: "
                                           f"**{reported}**. Report yours with the buttons on the match card."))
