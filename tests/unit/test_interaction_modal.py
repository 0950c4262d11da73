"""Modal submits: inputs inside Label components (type 18) and the old action-row form both reach the
handler as {custom_id: value}; the /setup modal's own submit round-trips through simulate's builder."""

from __future__ import annotations

import json
from pathlib import Path

from ladderctl.simulate import modal_submit_data
from ladderline.discord.constants import InteractionType
from ladderline.discord.interaction import Interaction
from ladderline.ladder.commands import setup

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def submit(components: list[dict]) -> dict:
    payload = json.loads((FIXTURES / "modal_submit.json").read_text(encoding="utf-8"))
    payload["data"] = {"custom_id": "setup_modal:DE:EUW", "components": components}
    return payload


def test_a_real_submit_with_a_label_and_an_action_row_gives_both_values() -> None:
    # Real capture (see DISCORD_SOURCES.md): a string select inside a Label, a text input in an action row.
    payload = json.loads((FIXTURES / "modal_submit.json").read_text(encoding="utf-8"))
    interaction = Interaction.parse(payload)
    assert interaction.type == InteractionType.MODAL_SUBMIT and interaction.name == "fooo"
    assert interaction.options == {"foo": ["two"], "fppp": "Fooooo"}


def test_text_inputs_inside_labels() -> None:
    interaction = Interaction.parse(submit([
        {"type": 18, "id": 1, "component": {"type": 4, "id": 2, "custom_id": "player_name", "value": "Serral"}},
        {"type": 10, "id": 3},  # a text display is echoed back with no value
        {"type": 18, "id": 4, "component": {"type": 4, "id": 5, "custom_id": "alt_names", "value": ""}},
    ]))
    assert interaction.options == {"player_name": "Serral", "alt_names": ""}


def test_the_old_action_row_form_still_works() -> None:
    interaction = Interaction.parse(submit([
        {"type": 1, "components": [{"type": 4, "custom_id": "player_name", "value": "Serral"}]},
        {"type": 1, "components": [{"type": 4, "custom_id": "battletag", "value": "Serral#2114"}]},
    ]))
    assert interaction.options == {"player_name": "Serral", "battletag": "Serral#2114"}


def test_the_setup_modal_submitted_as_discord_would_validates_as_typed() -> None:
    modal = setup.modal_for("DE", "EUW")["data"]
    data = modal_submit_data(modal, {"player_name": "Serral", "battletag": "Serral#2114"})
    assert [c["type"] for c in data["components"]] == [18, 18, 18]
    assert all(isinstance(c["id"], int) and isinstance(c["component"]["id"], int) for c in data["components"])
    interaction = Interaction.parse(submit(data["components"]))
    assert interaction.options == {"player_name": "Serral", "alt_names": "", "battletag": "Serral#2114"}
    draft, problems = setup.validate(interaction.options, "DE", "EUW")
    assert problems == [] and draft is not None and draft["player_name"] == "Serral"
