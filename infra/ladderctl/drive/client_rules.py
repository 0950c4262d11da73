"""What Discord's client would never send, checked before `ladderctl simulate` sends anything.

The client only offers the application's registered commands (here: the registry, the same list
`ladderctl register` uploads), fills a command's required options before it lets the user press
Enter, offers only an option's choices, enforces min/max values and lengths, sends users, channels
and roles as snowflakes, and stops typing in a modal's text input at its max_length. A simulated
interaction that breaks one of these would test a path no real user can reach, so it is refused
with the command's (or modal's) own definition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
TYPE_NAMES = {STRING: "text", INTEGER: "integer", BOOLEAN: "true/false", USER: "user id", CHANNEL: "channel id",
              ROLE: "role id", MENTIONABLE: "user or role id", NUMBER: "number", ATTACHMENT: "attachment"}
SNOWFLAKE_TYPES = (USER, CHANNEL, ROLE, MENTIONABLE)
GUILD_CONTEXT, BOT_DM_CONTEXT = 0, 1
TEXT_INPUT, SELECT_TYPES = 4, (3, 5, 6, 7, 8)
# Discord allows at most 25 choices per option: a definition always shows them all.
MAX_CHOICES_SHOWN = 25


class ClientRefusal(ValueError):
    """The client would not send this; the message carries the command's or modal's definition."""


def commands() -> dict[str, dict[str, Any]]:
    """The registered commands by name, exactly as `ladderctl register` sends them."""
    from ladderctl.ops.register import desired_commands

    return {c["name"]: c for c in desired_commands()}


def is_snowflake(text: str) -> bool:
    # Snowflakes are unsigned 64-bit integers, sent as decimal strings.
    return text.isascii() and text.isdigit() and 0 < int(text) < 1 << 64


# --- definitions, for messages and --help ------------------------------------------------------------
def _choices(option: Mapping[str, Any]) -> str:
    shown = [f"{c['value']} ({c['name']})" if str(c["value"]) != c["name"] else str(c["value"])
             for c in option["choices"][:MAX_CHOICES_SHOWN]]
    more = len(option["choices"]) - len(shown)
    return "one of " + ", ".join(shown) + (f", ... {more} more" if more > 0 else "")


def describe_option(option: Mapping[str, Any]) -> str:
    bits = [_choices(option) if option.get("choices") else TYPE_NAMES.get(int(option.get("type", STRING)), "?")]
    if option.get("required"):
        bits.append("required")
    if "min_value" in option or "max_value" in option:
        bits.append(f"{option.get('min_value', '')}..{option.get('max_value', '')}")
    if "min_length" in option:
        bits.append(f"{option['min_length']}-{option.get('max_length', 6000)} characters")
    elif "max_length" in option:
        bits.append(f"at most {option['max_length']} characters")
    if option.get("autocomplete"):
        bits.append("autocomplete (any text)")
    return f"{option['name']}:  {', '.join(bits)}  - {option.get('description', '')}"


def usage(command: Mapping[str, Any], path: tuple[str, ...] = ()) -> str:
    leaf = _leaf(command, path)
    parts = [f"/{' '.join((command['name'], *path))}"]
    for option in leaf.get("options") or []:
        if int(option.get("type", STRING)) in (SUB_COMMAND, SUB_COMMAND_GROUP):
            continue
        kind = TYPE_NAMES.get(int(option.get("type", STRING)), "?")
        if option.get("choices"):
            values = [str(c["value"]) for c in option["choices"]]
            kind = "|".join(values[:3]) + ("|..." if len(values) > 3 else "")
        token = f"{option['name']}:<{kind}>"
        parts.append(token if option.get("required") else f"[{token}]")
    return " ".join(parts)


def describe_command(command: Mapping[str, Any], indent: str = "  ", path: tuple[str, ...] = ()) -> str:
    """The command (or the subcommand at `path`) as the client shows it: its options (and
    subcommands), with types and rules."""
    node = _leaf(command, path)
    lines = [f"{indent}/{' '.join((command['name'], *path))}  - {node.get('description', '')}"]

    def walk(node: Mapping[str, Any], depth: int) -> None:
        pad = indent + "    " * depth
        for option in node.get("options") or []:
            if int(option.get("type", STRING)) in (SUB_COMMAND, SUB_COMMAND_GROUP):
                lines.append(f"{pad}{option['name']}  - {option.get('description', '')}")
                walk(option, depth + 1)
            else:
                lines.append(f"{pad}{describe_option(option)}")

    walk(node, 1)
    return "\n".join(lines)


def describe_all(registered: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    registered = commands() if registered is None else registered
    return "\n".join(describe_command(c) for c in registered.values())


def _leaf(command: Mapping[str, Any], path: tuple[str, ...]) -> Mapping[str, Any]:
    node = command
    for name in path:
        node = next(o for o in node.get("options") or [] if o["name"] == name)
    return node


# --- commands and autocomplete -------------------------------------------------------------------------
def _refuse(command: Mapping[str, Any], problem: str, path: tuple[str, ...] = ()) -> ClientRefusal:
    """Why the client would not send it, with the definition of what was typed: the subcommand's
    alone once one was chosen (a command with many subcommands would otherwise fill the screen)."""
    what = "The subcommand" if path else "The command"
    return ClientRefusal(f"/{command['name']}: {problem}; Discord's client would not send it. "
                         f"{what}:\n{describe_command(command, path=path)}")


def _find(name: str, registered: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    command = registered.get(name)
    if command is None:
        raise ClientRefusal(f"/{name} is not a command of this application; Discord's client only offers "
                            f"these:\n{describe_all(registered)}")
    return command


def _subcommand_path(command: Mapping[str, Any], words: list[str]) -> tuple[str, ...]:
    path: list[str] = []
    node = command
    words = list(words)
    while True:
        subs = [o for o in node.get("options") or [] if int(o.get("type", STRING)) in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not subs:
            break
        names = [s["name"] for s in subs]
        if not words:
            raise _refuse(command, f"a subcommand is required ({', '.join(names)})")
        word = words.pop(0)
        match = next((s for s in subs if s["name"] == word), None)
        if match is None:
            raise _refuse(command, f"no subcommand {word!r} (its subcommands: {', '.join(names)})")
        path.append(word)
        node = match
    if words:
        raise _refuse(command, f"unexpected {' '.join(words)!r} (options are name:value)")
    return tuple(path)


def _value(command: Mapping[str, Any], option: Mapping[str, Any], raw: str,
           resolve_user: Callable[[str], str | None], path: tuple[str, ...] = ()) -> Any:
    kind = int(option.get("type", STRING))
    name = option["name"]
    if option.get("choices"):
        for choice in option["choices"]:
            if raw == str(choice["value"]) or raw.casefold() == str(choice["name"]).casefold():
                return choice["value"]
        raise _refuse(command, f"{raw!r} is not a choice of option {name}", path)
    if kind == INTEGER:
        try:
            value: Any = int(raw)
        except ValueError:
            raise _refuse(command, f"option {name} must be an integer, not {raw!r}", path) from None
    elif kind == NUMBER:
        try:
            value = float(raw)
        except ValueError:
            raise _refuse(command, f"option {name} must be a number, not {raw!r}", path) from None
    elif kind == BOOLEAN:
        if raw.lower() not in ("true", "false"):
            raise _refuse(command, f"option {name} must be true or false, not {raw!r}", path)
        return raw.lower() == "true"
    elif kind in SNOWFLAKE_TYPES:
        snowflake = resolve_user(raw) if kind in (USER, MENTIONABLE) else None
        snowflake = snowflake or raw.strip("<@#&!>")
        if not is_snowflake(snowflake):
            raise _refuse(command, f"option {name} must be a {TYPE_NAMES[kind]} (a number), not {raw!r}", path)
        return snowflake
    elif kind == ATTACHMENT:
        # The client uploads the file first; the option's value is the attachment's id
        # (`ladderctl simulate upload FILE` does both).
        if not is_snowflake(raw):
            raise _refuse(command, f"option {name} is a file: upload it with `simulate upload FILE`", path)
        return raw
    else:
        value = raw
        if len(raw) > int(option.get("max_length", 6000)) or len(raw) < int(option.get("min_length", 0)):
            raise _refuse(command, f"option {name} is {len(raw)} characters long, outside "
                                   f"{option.get('min_length', 0)}-{option.get('max_length', 6000)}", path)
        return value
    low, high = option.get("min_value"), option.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise _refuse(command, f"option {name} = {raw} is outside {low if low is not None else ''}.."
                               f"{high if high is not None else ''}", path)
    return value


def command_data(name: str, words: list[str], options: Mapping[str, str], *, snowflake: str, dm: bool = False,
                 focused: str | None = None, resolve_user: Callable[[str], str | None] = lambda _: None,
                 registered: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The data of an APPLICATION_COMMAND (or, with `focused`, AUTOCOMPLETE) interaction the client
    would send for `/name words... option:value...`, or ClientRefusal saying why it would not."""
    registered = commands() if registered is None else registered
    command = _find(name, registered)
    contexts = command.get("contexts") or [GUILD_CONTEXT, BOT_DM_CONTEXT]
    if dm and BOT_DM_CONTEXT not in contexts:
        raise _refuse(command, "not offered in DMs with the bot")
    if not dm and GUILD_CONTEXT not in contexts:
        raise _refuse(command, "not offered in servers")
    path = _subcommand_path(command, words)
    leaf = _leaf(command, path)
    defined = {o["name"]: o for o in leaf.get("options") or []}
    unknown = [key for key in options if key not in defined]
    if unknown:
        raise _refuse(command, f"no option {', '.join(unknown)} in {usage(command, path)}", path)
    if focused is not None:
        if focused not in options:
            raise _refuse(command, f"the option being typed ({focused}) has no value", path)
        if not defined[focused].get("autocomplete"):
            raise _refuse(command, f"option {focused} has no autocomplete", path)
    else:
        missing = [o["name"] for o in defined.values() if o.get("required") and o["name"] not in options]
        if missing:
            raise _refuse(command, f"missing required option{'s' if len(missing) > 1 else ''} {', '.join(missing)}", path)
    sent: list[dict[str, Any]] = []
    for key, raw in options.items():
        option = defined[key]
        if key == focused:
            # Autocomplete: the partial text as typed, always a string.
            sent.append({"name": key, "type": int(option.get("type", STRING)), "value": raw, "focused": True})
        else:
            sent.append({"name": key, "type": int(option.get("type", STRING)),
                         "value": _value(command, option, raw, resolve_user, path)})
    # Discord nests a subcommand's options inside it (and a subcommand inside its group).
    for depth in range(len(path), 0, -1):
        node = _leaf(command, path[:depth])
        sent = [{"name": node["name"], "type": int(node["type"]), "options": sent}]
    data: dict[str, Any] = {"id": snowflake, "name": name, "type": 1}
    if sent:
        data["options"] = sent
    return data


# --- modals ----------------------------------------------------------------------------------------
def check_modal(modal: Mapping[str, Any], inputs: list[Mapping[str, Any]], fields: Mapping[str, str],
                describe: Callable[[Mapping[str, Any]], str]) -> None:
    """Refuse a submit the client would block: too long, too short, or a required input left empty."""
    problems = []
    for component in inputs:
        if component.get("type") != TEXT_INPUT:
            continue
        cid = component["custom_id"]
        value = fields.get(cid, component.get("value") or "")
        longest, shortest = int(component.get("max_length", 4000)), int(component.get("min_length", 0))
        if len(value) > longest:
            problems.append(f"{cid} is {len(value)} characters, at most {longest} fit (the client stops typing there)")
        elif not value and component.get("required", True):
            problems.append(f"{cid} is required")
        elif value and len(value) < shortest:
            problems.append(f"{cid} is {len(value)} characters, at least {shortest} are needed")
    if problems:
        raise ClientRefusal(f"modal {modal.get('custom_id')}: {'; '.join(problems)}; Discord's client would not "
                            f"submit it. The modal:\n{describe(modal)}")
