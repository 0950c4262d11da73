"""Components V2 messages (flag 1 << 15) in the one message validator: each limit passes at the limit and
fails one over, and every body the builders make is also valid for Discord's OpenAPI schema."""

from __future__ import annotations

import pytest
from ladderline.discord import responses as r
from ladderline.discord.constants import ButtonStyle, MessageFlag, SeparatorSpacing
from ladderline.discord.limits import validate_message

from tests.support.discord_spec import schema_errors

V2 = int(MessageFlag.IS_COMPONENTS_V2)


def v2(*components: dict, **extra: object) -> dict:
    return {"flags": V2, "components": list(components), **extra}


def text(n: int = 1, char: str = "x") -> dict:
    return {"type": 10, "content": char * n}


def problems_naming(body: dict, name: str, **kwargs: bool) -> list[str]:
    problems = validate_message(body, **kwargs)
    assert problems, f"expected a problem for {name}"
    assert any(name in p for p in problems), problems
    return problems


def a_scoreboard() -> dict:
    """What a ladder message in V2 looks like: every component kind the builders make."""
    return r.message_v2(
        r.text_display("## Match found"),
        r.container(
            r.section("**Serral** (EU, 6712)", "vs", accessory=r.thumbnail("https://example.org/z.png", "Zerg")),
            r.separator(spacing=SeparatorSpacing.LARGE),
            r.section("Report the result when you are done.",
                      accessory=r.button("Report", "report:42", style=ButtonStyle.PRIMARY)),
            r.action_row(r.button("Won", "won:42", style=ButtonStyle.SUCCESS), r.button("Lost", "lost:42")),
            r.action_row(r.string_select("map:42", [("Alcyone", "alc"), ("Ghost River", "ghr")])),
            accent_color=0x5865F2,
        ),
        r.separator(divider=False),
        r.text_display("-# Queue closes in 5 minutes"),
    )


def test_a_v2_message_from_the_builders_is_valid_here_and_for_the_spec() -> None:
    body = a_scoreboard()
    assert body["flags"] == V2 and body["content"] is None and body["embeds"] == []
    assert validate_message(body) == []
    assert schema_errors("IncomingWebhookUpdateRequestPartial", body) == []
    create = r.message_v2(r.text_display("hi"), edit=False)
    assert "content" not in create and "embeds" not in create
    assert validate_message(create) == []
    assert schema_errors("IncomingWebhookInteractionRequest", create) == []
    ephemeral = r.channel_message(create, ephemeral=True)["data"]
    assert ephemeral["flags"] == V2 | 64 and validate_message(ephemeral) == []


@pytest.mark.parametrize(
    ("extra", "name"),
    [({"content": "hello"}, "content"), ({"content": ""}, "content"), ({"embeds": [{"title": "t"}]}, "embeds"),
     ({"poll": {"question": {"text": "?"}}}, "poll")],
)
def test_content_embeds_and_polls_are_refused_with_the_flag(extra: dict, name: str) -> None:
    [problem] = problems_naming(v2(text(), **extra), name)
    assert "IS_COMPONENTS_V2" in problem


def test_forty_components_in_total_pass_forty_one_fail_counting_nested_ones() -> None:
    # A container with 39 text displays is 40 components, though only one is at the top level.
    assert validate_message(v2(r.container(*[text() for _ in range(39)]))) == []
    [problem] = problems_naming(v2(r.container(*[text() for _ in range(40)])), "41")
    assert "40 or fewer components in total" in problem
    # Rows and buttons count too: 8 rows of 4 buttons = 40.
    rows = [r.action_row(*[r.button("b", f"b{i}.{j}") for j in range(4)]) for i in range(8)]
    assert validate_message(v2(*rows)) == []
    assert validate_message(v2(*rows, text())) != []
    # And so does a section's accessory: 1 section + 3 texts + 1 button = 5.
    section = r.section("a", "b", "c", accessory=r.button("Go", "go"))
    assert validate_message(v2(section, *[text() for _ in range(35)])) == []
    problems_naming(v2(section, *[text() for _ in range(36)]), "41")


def test_text_display_lengths_and_the_4000_total_per_message() -> None:
    assert validate_message(v2(text(4000))) == []
    problems_naming(v2(text(4001)), "components[0].content")
    problems_naming(v2(text(0)), "components[0].content")
    assert validate_message(v2(text(2000), r.container(text(2000)))) == []
    [problem] = problems_naming(v2(text(2000), r.container(text(2001))), "4001")
    assert "text displays total 4000" in problem


@pytest.mark.parametrize(("color", "ok"), [(0, True), (0xFFFFFF, True), (0x1000000, False), (-1, False),
                                           ("#fff", False), (None, True)])
def test_container_accent_color_is_rgb(color: object, ok: bool) -> None:
    body = v2({"type": 17, "components": [text()], "accent_color": color})
    assert (validate_message(body) == []) is ok
    assert (schema_errors("IncomingWebhookUpdateRequestPartial", body) == []) is ok


def test_container_children() -> None:
    problems_naming(v2({"type": 17, "components": []}), "components[0].components")
    problems_naming(v2(r.container(r.container(text()))), "not allowed here")
    problems_naming(v2(r.container(r.label("L", r.text_input("t")))), "modals only")
    problems_naming(v2(r.container(r.button("b", "b"))), "must be inside an action row")
    problems_naming(v2(r.container(r.thumbnail("https://example.org/a.png"))), "container holds")


def test_sections_hold_one_to_three_texts_and_a_button_or_thumbnail() -> None:
    button = r.button("Go", "go")
    assert validate_message(v2(r.section("a", "b", "c", accessory=button))) == []
    problems_naming(v2(r.section("a", "b", "c", "d", accessory=button)), "components[0].components")
    problems_naming(v2(r.section(accessory=button)), "components[0].components")
    problems_naming(v2({"type": 9, "components": [text()]}), "accessory")
    problems_naming(v2(r.section("a", accessory=r.string_select("s", [("a", "a")]))), "accessory")
    problems_naming(v2(r.section(r.separator(), accessory=button)), "section holds")
    # The accessory is checked like any button.
    problems_naming(v2(r.section("a", accessory={"type": 2, "style": 1, "label": "x"})), "custom_id")


def test_separator_media_and_files() -> None:
    problems_naming(v2({"type": 14, "spacing": 3}), "spacing")
    problems_naming(v2({"type": 14, "divider": "yes"}), "divider")
    gallery = {"type": 12, "items": [{"media": {"url": "https://example.org/1.png"}}] * 10}
    assert validate_message(v2(gallery)) == []
    problems_naming(v2({**gallery, "items": gallery["items"] * 2}), "items")
    problems_naming(v2({"type": 12, "items": [{"media": {}}]}), "items[0].media.url")
    problems_naming(v2(r.section("a", accessory=r.thumbnail("https://e.org/a.png", "d" * 1025))), "description")
    assert validate_message(v2({"type": 13, "file": {"url": "attachment://results.csv"}})) == []
    problems_naming(v2({"type": 13, "file": {"url": "https://example.org/results.csv"}}), "attachment://")


def test_v2_types_without_the_flag_say_so() -> None:
    [problem] = problems_naming({"components": [text()]}, "components[0].type")
    assert "needs the IS_COMPONENTS_V2 flag" in problem
    # The legacy rules are untouched: 6 action rows are too many without the flag, fine with it.
    rows = [r.action_row(r.button("b", f"b{i}")) for i in range(6)]
    assert validate_message({"components": rows}) != []
    assert validate_message(v2(*rows)) == []


def test_editing_a_v2_message_keeps_it_v2_even_without_the_flag_in_the_edit() -> None:
    edit = {"content": "plain text again", "components": [text()]}
    problems_naming(edit, "content", components_v2=True)
    assert validate_message({"components": [text()]}, components_v2=True) == []


def test_custom_ids_and_ids_are_unique_across_the_whole_layout() -> None:
    body = v2(r.section("a", accessory=r.button("Go", "same")), r.container(r.action_row(r.button("b", "same"))))
    problems_naming(body, "components[1].components[0].components[0].custom_id")
    problems_naming(v2({**text(), "id": 7}, r.container({**text(), "id": 7})), "id 7 is already used")
    assert validate_message(v2({**text(), "id": 0}, {**text(), "id": 0})) == []  # 0 means "let Discord number it"


def test_flags_outside_the_allowed_set_are_refused() -> None:
    problems_naming(v2(text(), flags=V2 | (1 << 8)), "flags")
    assert validate_message(v2(text(), flags=V2 | 64 | 4096)) == []


def test_disabling_a_v2_message_reaches_nested_buttons_and_keeps_the_flag() -> None:
    disabled = r.with_components_disabled(a_scoreboard())
    assert disabled["flags"] == V2
    container = disabled["components"][1]
    accessory = container["components"][2]["accessory"]
    row_buttons = container["components"][3]["components"]
    select = container["components"][4]["components"][0]
    assert accessory["disabled"] and all(b["disabled"] for b in row_buttons) and select["disabled"]
    assert "disabled" not in container["components"][0]["accessory"]  # a thumbnail cannot be disabled
    assert validate_message(disabled) == []
    legacy = r.with_components_disabled(r.message("x", components=[r.action_row(r.button("b", "b"))]))
    assert "flags" not in legacy and legacy["components"][0]["components"][0]["disabled"] is True
