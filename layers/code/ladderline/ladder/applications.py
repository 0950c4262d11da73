"""Applications (DOMAIN 13, the seeds' other bot): a private channel per applicant, made once.

Staff post a panel with `/admin application_panel` in the channel where it should stand: a title,
a description, the category new channels go to, a role that may see every application, and the
channel-name pattern (`%name%`: the applicant's ladder name). Its **Open Application** button
opens the applicant's private channel, which only they, that role and the bot can see, with a
welcome message (Components V2) carrying **Start** and **Withdraw**; the click is answered with a
link to the channel. A second click is told "You already have an application channel".

Discord's channel creation has no nonce: the channel is the delivery PrivateChannel, which the
worker makes once under redelivery, double clicks, a worker killed between Discord's answer and
the record, and rate limits (pipeline/outbox.py); the click's transaction claims the application
(ladder_application_open, migration 0020), and the database knows the channel once the worker
recorded it.
"""

from __future__ import annotations

from typing import Any

from ladderline.discord import responses
from ladderline.discord.constants import ButtonStyle, MessageFlag, OptionType
from ladderline.ladder import admin_ops, guards
from ladderline.ladder.context import JobContext, Reply, now
from ladderline.ladder.deliveries import ChannelMessage, EditOriginal, FollowUp, PrivateChannel
from ladderline.ladder.i18n import N_, Text

OPEN_ROUTE = "apply"  # apply:<panel>
START_ROUTE, WITHDRAW_ROUTE, RESUME_ROUTE = "appgo", "appwd", "appre"  # <route>:<panel>:<applicant>
DEFAULT_PATTERN = "📝%name%-app"
MAX_TITLE, MAX_DESCRIPTION, MAX_PATTERN = 80, 2000, 50
BLUE = 0x3498DB
# Discord permission bits (developer docs, topics/permissions).
VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, ATTACH_FILES = 1 << 10, 1 << 11, 1 << 14, 1 << 15
ADD_REACTIONS, READ_MESSAGE_HISTORY, USE_EXTERNAL_EMOJIS = 1 << 6, 1 << 16, 1 << 18
MEMBER_ALLOW = (VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | ADD_REACTIONS | READ_MESSAGE_HISTORY
                | USE_EXTERNAL_EMOJIS)
ROLE, MEMBER = 0, 1

PANEL_SUBCOMMAND = admin_ops.subcommand(
    "application_panel", "Post an Open Application button here (each applicant gets a private channel)",
    admin_ops.option(OptionType.STRING, "title", "The panel's title", max_length=MAX_TITLE),
    admin_ops.option(OptionType.STRING, "description", "What applicants read above the button",
                     max_length=MAX_DESCRIPTION),
    admin_ops.option(OptionType.CHANNEL, "category", "The category where application channels go", False,
                     channel_types=[4]),
    admin_ops.option(OptionType.ROLE, "role", "A role that sees every application channel", False),
    admin_ops.option(OptionType.STRING, "name_pattern", f"The channel name; %name% is the applicant's (default "
                     f"{DEFAULT_PATTERN})", False, max_length=MAX_PATTERN))


def channel_key(panel_id: int, user_id: str) -> str:
    return f"application:{panel_id}:{user_id}"


def channel_topic(panel_id: int, user_id: str) -> str:
    """Unique per application: how a re-run finds a channel made by a run that died (outbox)."""
    return f"Application of <@{user_id}> (panel {panel_id})"


# --- staff: the panel -----------------------------------------------------------------------------
def handle_panel(ctx: JobContext) -> Reply:
    options = ctx.job.options
    title, description = str(options.get("title") or "").strip(), str(options.get("description") or "").strip()
    pattern = str(options.get("name_pattern") or DEFAULT_PATTERN).strip()
    if not title or "%name%" not in pattern:
        return Reply(responses.message("The title is required and the name pattern must contain `%name%`."),
                     outcome="invalid")
    if ctx.job.guild_id is None or ctx.job.channel_id is None:
        return Reply(responses.message("Use this in the server channel where the panel should stand."),
                     outcome="invalid")
    args = {"title": title[:MAX_TITLE], "description": description[:MAX_DESCRIPTION], "name_pattern": pattern,
            "category_id": str(options.get("category") or ""), "role_id": str(options.get("role") or "")}
    result = guards.call(ctx, "ladder_application_panel", int(ctx.job.user_id), ctx.job.interaction_id,
                         int(ctx.job.guild_id), int(ctx.job.channel_id), args, now(ctx))
    if result["status"] == "not_staff":
        return Reply(responses.message("Only ladder staff can do that."), outcome="not_staff")
    panel = result["panel"]
    where = f"<#{panel['category_id']}>" if panel.get("category_id") else "no category"
    return Reply(responses.message(f"✅ Application panel #{panel['panel_id']} posted here: each applicant gets a "
                                   f"private channel ({where})."), outcome="panel_posted",
                 deliveries=(ChannelMessage(f"application-panel:{panel['panel_id']}", panel["channel_id"],
                                            panel_body(panel)),))


def panel_body(panel: dict[str, Any]) -> dict[str, Any]:
    embed = responses.embed(panel["title"], panel["description"] or None, color=BLUE)
    return responses.message(embeds=[embed], components=[responses.action_row(
        responses.button("Open Application", f"{OPEN_ROUTE}:{panel['panel_id']}", style=ButtonStyle.PRIMARY,
                         emoji="📝"))])


# --- the applicant --------------------------------------------------------------------------------
def _panel_id(ctx: JobContext) -> int | None:
    parts = (ctx.job.custom_id or "").split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def handle_open(ctx: JobContext) -> Reply:
    panel_id = _panel_id(ctx)
    if panel_id is None:
        return Reply(responses.message(ctx.tx("This button is out of date.")), outcome="invalid")
    user = ctx.job.user_id
    result = guards.call(ctx, "ladder_application_open", panel_id, int(user), now(ctx))
    tx = ctx.text()  # the applicant's (it came with the call above)
    if result["status"] == "unknown_panel":
        return Reply(responses.message(tx("This application panel no longer exists.")), outcome="unknown_panel")
    if result["status"] == "exists":
        return Reply(responses.message(tx("You already have an application channel: <#{channel_id}>",
                                          channel_id=result["channel_id"])), outcome="exists")
    panel = result["panel"]
    overwrites: list[dict[str, Any]] = [
        {"id": panel["guild_id"], "type": ROLE, "allow": "0", "deny": str(VIEW_CHANNEL)},  # @everyone's id is the guild's
        {"id": user, "type": MEMBER, "allow": str(MEMBER_ALLOW), "deny": "0"},
        # The bot (its user id is the application id) keeps seeing what it made.
        {"id": ctx.job.application_id, "type": MEMBER, "allow": str(MEMBER_ALLOW), "deny": "0"},
    ]
    if panel.get("role_id"):
        overwrites.append({"id": panel["role_id"], "type": ROLE, "allow": str(MEMBER_ALLOW), "deny": "0"})
    room = PrivateChannel(channel_key(panel_id, user), panel["guild_id"], panel.get("category_id"),
                          result["channel_name"], channel_topic(panel_id, user), tuple(overwrites),
                          welcome_body(panel, user, "open", tx, edit=False),
                          # `{channel}` stays as it is: the outbox puts the new channel's link there.
                          answer=responses.message(tx("✅ Your application channel has been created: {channel}")))
    return Reply(None, outcome="opening", deliveries=(room,))


APPLICATION_STATES = {"open": N_("Not started yet."), "started": N_("✅ Started: staff will post the questions here."),
                      "withdrawn": N_("✖️ Withdrawn. Resume it any time.")}


def welcome_body(panel: dict[str, Any], user: str, status: str, tx: Text, *, edit: bool = True) -> dict[str, Any]:
    """The applicant's welcome, in the applicant's language (staff read the panel's own title)."""
    panel_id = panel["panel_id"]
    who = f"<@&{panel['role_id']}>" if panel.get("role_id") else tx("the ladder staff")
    state = tx(APPLICATION_STATES[status])
    if status == "withdrawn":
        buttons = [responses.button(tx("Resume your application"), f"{RESUME_ROUTE}:{panel_id}:{user}",
                                    style=ButtonStyle.PRIMARY, emoji="🔄")]
    else:
        buttons = [responses.button(tx("Start your application"), f"{START_ROUTE}:{panel_id}:{user}",
                                    style=ButtonStyle.SUCCESS, emoji="🚀", disabled=status == "started"),
                   responses.button(tx("Withdraw your application"), f"{WITHDRAW_ROUTE}:{panel_id}:{user}",
                                    style=ButtonStyle.DANGER, emoji="✖️")]
    return responses.message_v2(responses.container(
        responses.text_display(tx("## 🚀 Get Started with Your Application") + "\n" + tx(
            "Welcome <@{user}>! This is your private application channel: only you and {who} can see it.",
            user=user, who=who)),
        responses.text_display(f"**{panel['title']}**\n{state}"),
        responses.action_row(*buttons), accent_color=BLUE), edit=edit)


STATUS_OF = {START_ROUTE: "started", WITHDRAW_ROUTE: "withdrawn", RESUME_ROUTE: "open"}


def handle_set(ctx: JobContext) -> Reply:
    """Start / Withdraw / Resume, by the applicant only; the welcome message shows the new state."""
    parts = (ctx.job.custom_id or "").split(":")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return Reply(None, outcome="invalid")
    panel_id, applicant, status = int(parts[1]), parts[2], STATUS_OF[ctx.job.route]
    result = guards.call(ctx, "ladder_application_set", panel_id, int(applicant), int(ctx.job.user_id), status,
                         now(ctx))
    tx = ctx.text()  # the clicker's: the applicant's when it is theirs to click
    if result["status"] != "ok":
        text = tx("Only the applicant can do that.") if result["status"] == "not_yours" else tx("No such application.")
        return Reply(None, outcome=result["status"], deliveries=(
            FollowUp(f"{ctx.job.interaction_id}:refused", {**responses.message(text), "flags": MessageFlag.EPHEMERAL}),))
    return Reply(None, outcome=f"application_{status}",
                 deliveries=(EditOriginal(welcome_body(result["panel"], applicant, status, tx)),))
