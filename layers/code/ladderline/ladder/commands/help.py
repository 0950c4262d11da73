"""/help: what the ladder is, how a match goes, and the commands a player may use where they asked
(a server channel or the bot's DMs). Static text in the player's language (one read: their choice)."""

from __future__ import annotations

from ladderline.discord import responses
from ladderline.discord.constants import InteractionType
from ladderline.ladder.context import JobContext, Reply
from ladderline.ladder.i18n import N_, Text
from ladderline.ladder.routes import SERVER_AND_BOT_DM, Ack, Route

ABOUT = N_("A 1v1 ladder for **SC: Evo Complete**, where Brood War races meet StarCraft II races: every "
         "match is one Brood War race against one StarCraft II race, and each race you play has its own "
         "rating (Elo, from 1500) and letter rank (S to F).")
HOW = N_("1. `/setup` your profile (in-game name, BattleTag, country, region) and accept `/termsofservice`.\n"
       "2. `/queue`: pick a Brood War and/or an SC2 race (and up to 4 map vetoes), then **Join queue**.\n"
       "3. A matchmaking wave runs every minute: when you are paired, a DM says **Match #N found**. "
       "**Confirm** within 2 minutes (not confirming keeps you out of the queue for 10 minutes).\n"
       "4. Both confirmed: the match card has the map, server and lobby settings. Host or join, play.\n"
       "5. **Upload replay** on the card: a verified replay decides the match for both of you. Or both "
       "press **I won** / **I lost** / **Draw**; if the reports disagree, ladder staff decide.")
# (command, what it does, offered in the bot's DMs too). tests/unit/test_help.py keeps this list
# equal to the registered player commands and where each is offered.
COMMANDS = (
    ("setup", N_("create or change your ladder profile"), True),
    ("termsofservice", N_("read and accept the ladder's rules"), True),
    ("activate", N_("enter an activation code (only where the ladder asks for one)"), True),
    ("setcountry", N_("change the country shown beside your name"), True),
    ("queue", N_("join or leave the matchmaking queue"), True),
    ("replay", N_("upload your match's replay (the card's Upload replay does the same)"), True),
    ("profile", N_("your (or another player's) ratings, ranks and last matches"), True),
    ("leaderboard", N_("the ranked players, filtered by race, country, region or rank"), True),
    ("notifications", N_("a DM when someone joins the queue in your range"), True),
    ("help", N_("this message"), True),
    ("ping", N_("check that the bot answers, and how fast"), True),
)


def help_body(in_dm: bool, tx: Text) -> dict:
    here = [f"`/{name}`: {tx(what)}" for name, what, dm in COMMANDS if dm or not in_dm]
    embed = responses.embed(tx("SC: Evo Complete 1v1 ladder"), tx(ABOUT), color=0x5865F2, fields=[
        (tx("How a match goes"), tx(HOW), False),
        (tx("Commands you can use in DMs with the bot") if in_dm else tx("Commands you can use in this server"),
         "\n".join(here), False),
    ], footer=tx("Ladder staff use /admin."))
    return responses.message(embeds=[embed])


def handle(ctx: JobContext) -> Reply:
    return Reply(help_body(ctx.job.guild_id is None, ctx.text()))


ROUTES = (
    Route(key="help", kind=InteractionType.APPLICATION_COMMAND, contexts=SERVER_AND_BOT_DM, ack=Ack.DEFERRED_MESSAGE,
          ephemeral=True, handler=handle, description="What the ladder is, how a match goes, and its commands"),
)
