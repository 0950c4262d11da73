"""Modal submits: inputs inside Label components (type 18) and the old action-row form both reach the
handler as {custom_id: value}; the /setup modal's own submit round-trips through simulate's builder."""

from __future__ import annotations

import json
from pathlib import Path

from ladderctl.drive.simulate import modal_submit_data
from ladderline.discord.constants import InteractionType
from ladderline.discord.interaction import Interaction
from ladderline.ladder.commands import setup
from ladderline.ladder.i18n import EN

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
    modal = setup.modal_for("DE", "EUW", EN)["data"]
    data = modal_submit_data(modal, {"player_name": "Serral", "battletag": "Serral#2114"})
    assert [c["type"] for c in data["components"]] == [18, 18, 18]
    assert all(isinstance(c["id"], int) and isinstance(c["component"]["id"], int) for c in data["components"])
    interaction = Interaction.parse(submit(data["components"]))
    assert interaction.options == {"player_name": "Serral", "alt_names": "", "battletag": "Serral#2114"}
    draft, problems = setup.validate(interaction.options, "DE", "EUW", EN)
    assert problems == [] and draft is not None and draft["player_name"] == "Serral"


ATTACHMENT = {"id": "1448000000000000001", "filename": "game.SC2Replay", "size": 82540,
              "url": "https://cdn.discordapp.com/attachments/1/1448000000000000001/game.SC2Replay?ex=1&is=2&hm=3",
              "proxy_url": "https://media.discordapp.net/attachments/1/1448000000000000001/game.SC2Replay",
              "content_type": "application/octet-stream", "ephemeral": True}
RESOLVED_FIELDS = ("id", "url", "filename", "size", "content_type")


def test_a_file_upload_reaches_the_handler_as_its_resolved_attachment() -> None:
    payload = submit([{"type": 18, "id": 1, "component": {"type": 19, "id": 2, "custom_id": "replay",
                                                            "values": [ATTACHMENT["id"]]}}])
    payload["data"]["resolved"] = {"attachments": {ATTACHMENT["id"]: ATTACHMENT}}
    interaction = Interaction.parse(payload)
    assert interaction.options == {"replay": [{k: ATTACHMENT[k] for k in RESOLVED_FIELDS}]}


def test_an_attachment_option_reaches_the_handler_as_its_resolved_attachment() -> None:
    payload = submit([])
    payload["type"] = 2
    payload["data"] = {"id": "9", "name": "replay", "type": 1,
                       "options": [{"name": "file", "type": 11, "value": ATTACHMENT["id"]},
                                   {"name": "match", "type": 4, "value": 7}],
                       "resolved": {"attachments": {ATTACHMENT["id"]: ATTACHMENT}}}
    interaction = Interaction.parse(payload)
    assert interaction.options == {"file": {k: ATTACHMENT[k] for k in RESOLVED_FIELDS}, "match": 7}


def test_the_upload_replay_modal_is_valid_and_simulate_submits_a_file_into_it() -> None:
    from ladderline.discord.limits import validate_modal
    from ladderline.ladder.commands import replay

    clicked = Interaction.parse({**json.loads((FIXTURES / "button_click.json").read_text(encoding="utf-8")),
                                 "data": {"custom_id": "mup:42", "component_type": 2}})
    data = replay.upload_modal(clicked)["data"]
    assert validate_modal(data) == [] and data["custom_id"] == "mupm:42"
    sent = modal_submit_data(data, {"replay": ATTACHMENT["id"]})
    payload = submit(sent["components"])
    payload["data"]["resolved"] = {"attachments": {ATTACHMENT["id"]: ATTACHMENT}}
    assert Interaction.parse(payload).options["replay"][0]["url"] == ATTACHMENT["url"]
