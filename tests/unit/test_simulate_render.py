"""`ladderctl simulate` printing Components V2 messages and Label modals, and finding their buttons."""

from __future__ import annotations

import pytest
from ladderctl.drive.simulate import (
    Outcome,
    SimulateError,
    Simulator,
    render_message,
    render_modal,
    render_outcome,
)
from ladderline.discord import responses as r
from ladderline.discord.constants import ButtonStyle
from ladderline.ladder.commands import setup
from ladderline.ladder.i18n import EN

V2 = 1 << 15


def card() -> dict:
    body = r.message_v2(
        r.text_display("## Match found"),
        r.container(
            r.section("**Serral** vs **Maru**", accessory=r.thumbnail("https://example.org/z.png")),
            r.separator(),
            r.section("Ready?", accessory=r.button("Accept", "accept:1", style=ButtonStyle.SUCCESS)),
            r.action_row(r.button("Decline", "decline:1", disabled=True)),
            accent_color=0x57F287,
        ),
        {"type": 13, "file": {"url": "attachment://results.csv"}},
    )
    return {**body, "content": "", "flags": V2}


def test_a_v2_message_prints_its_layout_in_order() -> None:
    lines = render_message(card(), indent="").splitlines()
    assert lines == [
        "## Match found",
        "+-- #57F287",
        "| **Serral** vs **Maru**",
        "|   (thumbnail https://example.org/z.png)",
        "| " + "-" * 24,
        "| Ready?",
        "|   -> [Accept] accept:1",
        "| [Decline] decline:1 (disabled)",
        "+--",
        "(file attachment://results.csv)",
    ]


def test_a_legacy_message_prints_as_before() -> None:
    body = r.message("Saved.", embeds=[r.embed("Profile", "All set")], components=[
        r.action_row(r.button("Again", "again"))])
    assert render_message(body, indent="").splitlines() == ["Saved.", "+-- Profile", "| All set", "+--",
                                                            "[Again] again"]


def test_the_setup_modal_prints_labels_descriptions_and_prefills() -> None:
    lines = render_modal(setup.modal_for("DE", "EUW", EN, "", {"player_name": "Serral"})["data"]).splitlines()
    assert lines[0] == "  modal setup_modal:DE:EUW: Set up your ladder profile"
    assert lines[1].startswith("    --field player_name=... (Player name) [3–12 English letters (A–Z), your main in-game name]")
    assert "prefilled 'Serral'" in lines[1]
    assert lines[2].startswith("    --field alt_names=... (Alternative names) [Optional: up to 3")
    assert "optional" in lines[2].split("]")[-1]
    assert lines[3].startswith("    --field battletag=... (BattleTag) [Like Name#1234]")


def test_a_modal_text_display_and_select_label_print() -> None:
    data = r.modal("report:1", "Report", [
        r.text_display("Both players report."),
        r.label("Result", r.string_select("result", [("Won", "won"), ("Lost", "lost")])),
    ])["data"]
    assert render_modal(data).splitlines()[1:] == ["    Both players report.",
                                                   "    --field result=... (Result) one of won, lost"]


def test_an_answer_discord_would_refuse_is_shown_as_such() -> None:
    outcome = Outcome({}, 200, {"type": 9, "data": {}}, 3.0, extra={"refused": ["data.title: too long"]})
    text = render_outcome(outcome)
    assert "would REFUSE" in text and "This interaction failed" in text and "data.title: too long" in text


def test_buttons_inside_containers_and_section_accessories_can_be_found() -> None:
    simulator = object.__new__(Simulator)  # find_component reads only the message it is given
    found = Simulator.find_component(simulator, "Accept", card())
    assert found["custom_id"] == "accept:1"
    with pytest.raises(SimulateError, match="no component 'Nope'"):
        Simulator.find_component(simulator, "Nope", card())
