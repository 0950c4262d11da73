"""/help: what the ladder is, how a match goes, and the commands a player may use where they asked
(a server channel or the bot's DMs). Static text: no database, nothing to change."""

from __future__ import annotations

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route

ABOUT = ("A 1v1 ladder for **SC: Evo Complete**, where Brood War races meet StarCraft II races: every "
         "match is one Brood War race against one StarCraft II race, and each race you play has its own "
         "rating (Elo, from 1500) and letter rank (S to F).")
HOW = ("1. `/setup` your profile (in-game name, BattleTag, country, region) and accept `/termsofservice`.\n"
       "2. `/queue`: pick a Brood War and/or an SC2 race (and up to 4 map vetoes), then **Join queue**.\n"
       "3. A matchmaking wave runs every minute: when you are paired, a DM says **Match #N found**. "
       "**Confirm** within 2 minutes (not confirming keeps you out of the queue for 10 minutes).\n"
       "4. Both confirmed: the match card has the map, server and lobby settings. Host or join, play.\n"
       "5. **Upload replay** on the card: a verified replay decides the match for both of you. Or both "
       "press **I won** / **I lost** / **Draw**; if the reports disagree, ladder staff decide.")
# (command, what it does, offered in the bot's DMs too). tests/unit/test_help.py keeps this list
# equal to the registered player commands and where each is offered.
COMMANDS = (
    ("setup", "create or change your ladder profile", True),
    ("termsofservice", "read and accept the ladder's rules", True),
    ("activate", "enter an activation code (only where the ladder asks for one)", True),
    ("setcountry", "change the country shown beside your name", True),
    ("queue", "join or leave the matchmaking queue", True),
    ("replay", "upload your match's replay (the card's Upload replay does the same)", True),
    ("profile", "your (or another player's) ratings, ranks and last matches", True),
    ("leaderboard", "the ranked players, filtered by race, country, region or rank", True),
    ("notifications", "a DM when someone joins the queue in your range", True),
    ("help", "this message", True),
    ("ping", "check that the bot answers, and how fast", True),
)


def help_body(in_dm: bool) -> dict:
    here = [f"`/{name}`: {what}" for name, what, dm in COMMANDS if dm or not in_dm]
    where = "in DMs with the bot" if in_dm else "in this server"
    embed = responses.embed("SC: Evo Complete 1v1 ladder", ABOUT, color=0x5865F2, fields=[
        ("How a match goes", HOW, False),
        (f"Commands you can use {where}", "\n".join(here), False),
    ], footer="Ladder staff use /admin.")
    return responses.message(embeds=[embed])


def handle(ctx: JobContext) -> Reply:
    return Reply(help_body(in_dm=ctx.job.guild_id is None))


ROUTES = (
    Route(key="help", kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM, ack=Ack.DEFERRED_MESSAGE,
          ephemeral=True, handler=handle, description="What the ladder is, how a match goes, and its commands"),
)
